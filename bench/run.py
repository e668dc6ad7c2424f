#!/usr/bin/env python3
"""Read-path benchmark of the registry: the release binary on PostgreSQL and on SQLite beside
pgbench running the statement the server issues, scenario by scenario, in one run.

Writes bench/RESULTS.md (or the file given with --out). See bench/README.md.
"""

import argparse
import datetime
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
BINARY = ROOT / "target" / "release" / "khuyencong"
PASSWORD = "Bench-Registry-2026!"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = "kc_bench"
PORTS = {"postgres": 18181, "sqlite": 18182}
# Parameter values sampled per scenario (wrk picks among them at random, pgbench runs one script
# per value, so both see the same spread).
SAMPLES = 50


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def pg_url(database):
    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{database}"


def psql(database, sql, *extra):
    out = subprocess.run(
        ["psql", pg_url(database), "-At", "-v", "ON_ERROR_STOP=1", "-c", sql, *extra],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


def sqlite_path():
    return WORK / "registry.sqlite3"


def seed(scale, fresh):
    WORK.mkdir(parents=True, exist_ok=True)
    exists = psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{PG_DB}'") == "1"
    marker = WORK / f"seeded-{scale}"
    if fresh or not marker.exists() or not exists or not sqlite_path().exists():
        if exists:
            psql("postgres", f'DROP DATABASE "{PG_DB}" WITH (FORCE)')
        psql("postgres", f'CREATE DATABASE "{PG_DB}"')
        for f in WORK.glob("registry.sqlite3*"):
            f.unlink()
        for f in WORK.glob("seeded-*"):
            f.unlink()
        for backend, url in (("postgres", pg_url(PG_DB)), ("sqlite", str(sqlite_path()))):
            log(f"seeding {backend} at scale {scale}")
            started = time.monotonic()
            subprocess.run(
                [str(BINARY), "seed", "--scale", str(scale), "--password", PASSWORD],
                env={**os.environ, "DATABASE_URL": url, "RUST_LOG": "warn"},
                check=True, stdout=subprocess.DEVNULL,
            )
            log(f"seeded {backend} in {time.monotonic() - started:.1f} s")
        psql(PG_DB, "VACUUM ANALYZE")
        # The write mix adds projects to each backend apart; the read scenarios stay on the seeded
        # ones, which both backends hold alike, with the same ids.
        marker.write_text(json.dumps({"max_project_id": int(psql(PG_DB, "SELECT max(id) FROM projects"))}))
    else:
        log("reusing the seeded databases in bench/work (--fresh to seed again)")


class Server:
    def __init__(self, backend):
        self.backend = backend
        self.port = PORTS[backend]
        self.url = pg_url(PG_DB) if backend == "postgres" else str(sqlite_path())
        self.proc = None
        self.ready_ms = None

    def start(self, extra_env=None):
        env = {
            **os.environ,
            **(extra_env or {}),
            "DATABASE_URL": self.url,
            "BIND_ADDR": f"127.0.0.1:{self.port}",
            "JWT_SECRET": "YmVuY2gtcmVnaXN0cnktc2lnbmluZy1rZXktMzItYnl0ZXMhIQ",
            "ACCESS_TOKEN_TTL_SECS": "7200",
            # The benchmark is one client address; the public limit would answer 429.
            "PUBLIC_REQUESTS_PER_MINUTE": "4000000000",
            "LOGIN_ATTEMPTS_PER_CLIENT": "1000",
        }
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(BINARY)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"the {self.backend} server exited at start")
            if time.monotonic() - started > 60:
                raise SystemExit(f"the {self.backend} server did not get ready")
            time.sleep(0.005)
        self.ready_ms = (time.monotonic() - started) * 1000

    def token(self, username):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1/auth/login",
            data=json.dumps({"username": username, "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as r:
            return json.load(r)["access_token"]

    def peak_rss_mib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        kib = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        return kib / 1024

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


# Seconds of load before each read cell whose figures are not kept.
WARM_UP_SECS = 2


def lua_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_script(name, paths, token, method="GET", body=None):
    """A wrk script that sends one of `paths` at random on every request."""
    lines = [f"local paths = {{{', '.join(lua_string(p) for p in paths)}}}"]
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    if body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    lines.append("math.randomseed(os.time())")
    lines.append("request = function()")
    lines.append("  local path = paths[math.random(#paths)]")
    if body is None:
        lines.append(f'  return wrk.format("{method}", path)')
    else:
        lines.append(f"  return wrk.format({lua_string(method)}, path, nil, {lua_string(body)})")
    lines.append("end")
    path = WORK / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk_write_script(name, requests, token):
    """A wrk script that sends `requests` (method, path, body) in turn, each connection from its own
    place in the list, with a document number that differs on every request."""
    lines = ["local requests = {"]
    for method, path, body in requests:
        lines.append(f"  {{{lua_string(method)}, {lua_string(path)}, {lua_string(body)}}},")
    lines += [
        "}",
        f'wrk.headers["Authorization"] = "Bearer {token}"',
        'wrk.headers["Content-Type"] = "application/json"',
        "local counter = 0",
        "setup = function(thread) thread:set('offset', math.random(#requests)) end",
        "request = function()",
        "  counter = counter + 1",
        "  local r = requests[((counter + (offset or 0)) % #requests) + 1]",
        "  local body = string.gsub(r[3], '{n}', tostring(counter))",
        "  return wrk.format(r[1], r[2], nil, body)",
        "end",
    ]
    path = WORK / f"{name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_duration(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    return float(m.group(1)) * UNITS[m.group(2)]


def run_wrk(port, script, duration, connections, threads):
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = parse_duration(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = parse_duration(re.search(r"\s99%\s+(\S+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = int(bad.group(1)) if bad else 0
    return {"rate": rate, "p50": p50, "p99": p99, "errors": errors}


def run_pgbench(name, statements, duration, connections, threads):
    """pgbench with one script per parameter value, prepared, latencies logged per transaction."""
    folder = WORK / f"pgbench-{name}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    args = ["pgbench", "-n", "-M", "prepared", f"-c{connections}", f"-j{threads}", f"-T{duration}",
            "-l", "--log-prefix", str(folder / "log")]
    for i, sql in enumerate(statements):
        sql, weight = sql if isinstance(sql, tuple) else (sql, 1)
        script = folder / f"s{i}.sql"
        script.write_text(sql.rstrip().rstrip(";") + ";\n")
        args += ["-f", f"{script}@{weight}"]
    out = subprocess.run(args + [pg_url(PG_DB)], capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latencies = []
    for logfile in folder.glob("log*"):
        with open(logfile) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    latencies.append(int(parts[2]) / 1000.0)  # microseconds -> ms
    latencies.sort()
    p50 = latencies[len(latencies) // 2] if latencies else 0.0
    p99 = latencies[int(len(latencies) * 0.99)] if latencies else 0.0
    if not os.environ.get("BENCH_KEEP_SCRIPTS"):
        shutil.rmtree(folder, ignore_errors=True)
    return {"rate": rate, "p50": p50, "p99": p99, "errors": 0}


def sql_literal(value):
    return "'" + value.replace("'", "''") + "'"


BENEFICIARY_COLUMNS = (
    "id, name, legal_form, identifier_type, identifier_value, representative_name, address_line, "
    "province_code, commune_code, recorded_province_code_pre2025, recorded_district_code_pre2025, "
    "main_sector_vsic, size_class, employees, founding_year, in_craft_village, craft_village_name, "
    "women_owned, ethnic_minority_owned, disadvantaged_area, phone, email, website, status, "
    "merged_into_id, search_key, name_key, phone_key, representative_phone_key, version, created_at, "
    "updated_at"
)


BENEFICIARY_WITH_PERSONAL_DATA = (
    ", ".join("beneficiaries." + c for c in BENEFICIARY_COLUMNS.split(", "))
    + ", beneficiary_personal_data.beneficiary_id, beneficiary_personal_data.representative_phone, "
    "beneficiary_personal_data.representative_national_id, beneficiary_personal_data.household_owner_name, "
    "beneficiary_personal_data.updated_at"
)


PROJECT_FOLLOW_UPS = (
    "SELECT project_beneficiaries.project_id, project_beneficiaries.beneficiary_id, project_beneficiaries.role, "
    "beneficiaries.name FROM project_beneficiaries INNER JOIN beneficiaries ON "
    "project_beneficiaries.beneficiary_id = beneficiaries.id WHERE project_beneficiaries.project_id = ANY('{ids}') "
    "ORDER BY project_beneficiaries.project_id, project_beneficiaries.beneficiary_id;\n"
    "SELECT project_id, source, kind, CAST(COALESCE(SUM(amount_vnd), 0) AS BIGINT) FROM project_disbursements "
    "WHERE project_id = ANY('{ids}') GROUP BY project_id, source, kind"
)
def page_ids(sql, limit=50):
    """The ids of the page a list statement returns (its follow-up statements name them)."""
    rows = psql(PG_DB, f"SELECT id FROM ({sql}) page LIMIT {limit}").split()
    return "{" + ",".join(rows) + "}"


def request_sql(main, follow_ups=None, page=True):
    """Every statement one request issues, as one pgbench transaction."""
    if follow_ups is None:
        return main
    ids = page_ids(main) if page else None
    return main + ";\n" + follow_ups.replace("{ids}", ids)



LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[\d+\] (\S*) (LOG|DETAIL|ERROR|STATEMENT|HINT|CONTEXT):\s+(.*)$")
PARAMETER = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def statement_log():
    """PostgreSQL's log file, when this user can read it (Debian's default place)."""
    logs = sorted(Path("/var/log/postgresql").glob("postgresql-*.log"), key=lambda p: p.stat().st_mtime)
    if logs and os.access(logs[-1], os.R_OK):
        return logs[-1]
    return None


def capture_transactions(token, requests):
    """Every statement of each write transaction the server runs for `requests`, with its parameter
    values written in: a server with one connection serves them while PostgreSQL logs every statement
    of the benchmark database. Returns (transactions, responses), or None without a readable log."""
    log_file = statement_log()
    if log_file is None:
        return None
    offset = log_file.stat().st_size
    psql("postgres", f'ALTER DATABASE "{PG_DB}" SET log_statement = \'all\'')
    server = Server("postgres")
    server.port = 18183
    responses = []
    try:
        server.start({"DB_POOL_SIZE": "1", "BIND_ADDR": "127.0.0.1:18183"})
        for method, path, body in requests:
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.port}{path}", method=method, data=body.replace("{n}", "0").encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            with urllib.request.urlopen(request) as r:
                responses.append(json.load(r))
    finally:
        server.stop()
        psql("postgres", f'ALTER DATABASE "{PG_DB}" RESET log_statement')
    with open(log_file, encoding="utf-8", errors="replace") as f:
        f.seek(offset)
        text = f.read()
    entries = []
    for line in text.splitlines():
        m = LOG_LINE.match(line)
        if m:
            entries.append([m.group(1), m.group(2), m.group(3)])
        elif entries:
            entries[-1][2] += "\n" + line
    statements = []
    for who, kind, message in entries:
        if not who.endswith(f"@{PG_DB}"):
            continue
        if kind == "LOG":
            m = re.match(r"(?:execute [^:]+|statement): (.*)", message, re.S)
            if m:
                statements.append(m.group(1))
        elif kind == "DETAIL" and message.startswith("parameters:") and statements:
            values = dict(PARAMETER.findall(message))
            statements[-1] = re.sub(r"\$(\d+)\b", lambda v: values.get(v.group(1), v.group(0)), statements[-1])
    transactions, current = [], None
    for sql in statements:
        if sql.strip() == "BEGIN":
            current = []
        elif sql.strip() == "COMMIT" and current is not None:
            transactions.append(["BEGIN"] + current + ["COMMIT"])
            current = None
        elif current is not None:
            current.append(sql)
    return transactions, responses


def write_mix(token, project_ids, unit):
    """The write scenario: a project recorded as a draft and a payment recorded on a project in
    progress, in turn. For pgbench, the two transactions the server runs, as it ran them."""
    province, unit_id = unit
    create = json.dumps({
        "title": "Hỗ trợ ứng dụng máy sấy nông sản", "activity_type": "machinery_application",
        "funding_source": "local", "plan_year": 2027, "province_code": province, "implementing_unit_id": unit_id,
    }, ensure_ascii=False)
    pay = json.dumps({"kind": "payment", "source": "counterpart", "amount_vnd": 1000, "date": "2026-12-01",
                      "document_number": "UNC-BENCH-{n}"})
    requests = []
    for pid in project_ids:
        requests += [("POST", "/api/v1/projects", create), ("POST", f"/api/v1/projects/{pid}/disbursements", pay)]
    scenario = {"name": "write mix: record a project, record a payment", "requests": requests, "sql": None,
                "write": True}
    captured = capture_transactions(token, requests[:2])
    if captured is None:
        return scenario
    transactions, (created, _) = captured
    # The server's own start-up runs first; the two requests are the last two transactions.
    create_sql, pay_sql = transactions[-2:]
    new_id, code, paid_project = str(created["id"]), created["code"], str(project_ids[0])
    # pgbench reads `:name` as a variable; JSON's `"key":null` becomes `"key": null`, the same value.
    create_sql, pay_sql = ([re.sub(r'":(?=[A-Za-z_])', '": ', sql) for sql in t] for t in (create_sql, pay_sql))
    # The new project's code and id differ on every run: the code is made from the transaction id,
    # the id is read back from the insert (`\gset`), both passed as parameters like the server does.
    create_script = ""
    for sql in create_sql:
        sql = sql.replace(f"'{code}'", ":g_code").replace(f"'{{{new_id}}}'", "ARRAY[:p_id]::bigint[]")
        sql = sql.replace(f"'{new_id}'", ":p_id")
        if sql.startswith('INSERT INTO "projects"'):
            create_script += sql + "\n\\gset p_\n"
        else:
            create_script += sql + ";\n"
        if sql == "BEGIN":
            create_script += "SELECT 'PGB-' || txid_current() AS code\n\\gset g_\n"
    pay_script = ";\n".join(pay_sql)
    scripts = [(create_script, len(project_ids))]
    for pid in project_ids:
        scripts.append((pay_script.replace(f"'{paid_project}'", f"'{pid}'")
                        .replace(f"'{{{paid_project}}}'", f"'{{{pid}}}'"), 1))
    scenario["sql"] = scripts
    return scenario


def seeded_projects():
    """The highest project id the seed wrote (see seed())."""
    markers = sorted(WORK.glob("seeded-*"))
    text = markers[0].read_text() if markers else ""
    if text:
        return json.loads(text)["max_project_id"]
    return int(psql(PG_DB, "SELECT max(id) FROM projects"))


def scenarios(programme):
    """Each scenario: the request paths and, for pgbench, every statement the server issues for one
    request (the caller's account is not read: the server keeps recently checked sessions). For
    the figures, pgbench runs the SQL one would write by hand for the same answer instead."""
    rng = random.Random(7)
    max_beneficiary = int(psql(PG_DB, "SELECT max(id) FROM beneficiaries"))
    max_project = seeded_projects()
    beneficiary_ids = [rng.randint(1, max_beneficiary) for _ in range(SAMPLES)]
    project_ids = [rng.randint(1, max_project) for _ in range(SAMPLES)]
    numbers = psql(PG_DB, f"SELECT number FROM certificates ORDER BY md5(number) LIMIT {SAMPLES}").split("\n")
    tax_codes = psql(
        PG_DB,
        "SELECT identifier_value FROM beneficiaries WHERE identifier_type = 'tax_code' "
        f"ORDER BY md5(identifier_value) LIMIT {SAMPLES}",
    ).split("\n")
    province = psql(PG_DB, "SELECT province_code FROM beneficiaries GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
    project_filter = psql(
        PG_DB,
        f"SELECT province_code || ' ' || plan_year || ' ' || status FROM projects WHERE id <= {max_project} "
        "GROUP BY province_code, plan_year, status ORDER BY count(*) DESC LIMIT 1",
    ).split()
    p_province, p_year, p_status = project_filter
    today = datetime.date.today().isoformat()
    page = 51  # the server reads one row more than the page to know whether another follows

    def beneficiaries_where(condition):
        return (
            f"SELECT {BENEFICIARY_WITH_PERSONAL_DATA} FROM beneficiaries LEFT JOIN beneficiary_personal_data "
            "ON beneficiary_personal_data.beneficiary_id = beneficiaries.id "
            f"WHERE {condition} ORDER BY beneficiaries.id LIMIT {page}"
        )

    province_list = beneficiaries_where(f"beneficiaries.province_code = '{province}'")
    return [
        {
            "name": "public certificate verification by number",
            "paths": [f"/api/v1/public/certificates/{n}" for n in numbers],
            "public": True,
            "sql": [
                f"SELECT * FROM certificates WHERE number = {sql_literal(n)} LIMIT 1;\n"
                f"SELECT * FROM products WHERE id = (SELECT product_id FROM certificates WHERE number = {sql_literal(n)});\n"
                f"SELECT {BENEFICIARY_COLUMNS} FROM beneficiaries WHERE id = "
                f"(SELECT beneficiary_id FROM certificates WHERE number = {sql_literal(n)});\n"
                "SELECT code, name FROM provinces_2025"
                for n in numbers
            ],
        },
        {
            "name": "certified-product catalogue, q=gom",
            "paths": ["/api/v1/public/products?q=gom"],
            "public": True,
            "sql": [
                "SELECT DISTINCT certificates.product_id FROM certificates WHERE revoked_at IS NULL "
                f"AND valid_until >= '{today}' AND (number LIKE '%GOM%' ESCAPE '\\' "
                "OR certificates.product_id IN (SELECT id FROM products WHERE search_key LIKE '%gom%' ESCAPE '\\') "
                "OR certificates.beneficiary_id IN (SELECT id FROM beneficiaries WHERE search_key LIKE '%gom%' ESCAPE '\\')) "
                f"ORDER BY certificates.product_id LIMIT {page}"
            ],
        },
        {
            "name": "establishment by id",
            "paths": [f"/api/v1/beneficiaries/{i}" for i in beneficiary_ids],
            "sql": [
                f"SELECT {', '.join('beneficiaries.' + c for c in BENEFICIARY_COLUMNS.split(', '))}, "
                "beneficiary_personal_data.* FROM beneficiaries LEFT JOIN beneficiary_personal_data "
                f"ON beneficiary_personal_data.beneficiary_id = beneficiaries.id WHERE beneficiaries.id = {i} LIMIT 1"
                for i in beneficiary_ids
            ],
        },
        {
            "name": "project by id with its money summary",
            "paths": [f"/api/v1/projects/{i}" for i in project_ids],
            "sql": [
                f"SELECT * FROM projects WHERE id = {i} LIMIT 1;\n" + PROJECT_FOLLOW_UPS.replace("{ids}", f"{{{i}}}")
                for i in project_ids
            ],
        },
        {
            "name": "projects of one province, year and status",
            "paths": [
                f"/api/v1/projects?province_code={p_province}&year_from={p_year}&year_to={p_year}"
                f"&status={p_status}&limit=50"
            ],
            "sql": [
                request_sql(
                    f"SELECT * FROM projects WHERE province_code = '{p_province}' AND plan_year >= {p_year} "
                    f"AND plan_year <= {p_year} AND status = '{p_status}' ORDER BY id LIMIT {page}",
                    PROJECT_FOLLOW_UPS,
                )
            ],
        },
        {
            "name": "establishments of one province, 50 rows",
            "paths": [f"/api/v1/beneficiaries?province_code={province}&limit=50"],
            "sql": [province_list],
        },
        {
            "name": "establishments, q=may tre (common words)",
            "paths": ["/api/v1/beneficiaries?q=may%20tre&limit=50"],
            "sql": [beneficiaries_where("beneficiaries.search_key LIKE '%may tre%' ESCAPE '\\'")],
        },
        {
            "name": "establishments, q=a tax code (rare word)",
            "paths": [f"/api/v1/beneficiaries?q={t}" for t in tax_codes],
            "sql": [
                beneficiaries_where(f"substr(beneficiaries.identifier_value, 1, 10) = '{t}'")
                for t in tax_codes
            ],
        },
        {
            "name": "establishments, q=part of a tax code (rare text)",
            "paths": [f"/api/v1/beneficiaries?q={t[3:]}" for t in tax_codes],
            "sql": [
                beneficiaries_where(f"beneficiaries.search_key LIKE '%{t[3:]}%' ESCAPE '\\'") for t in tax_codes
            ],
        },
        {
            "name": "establishments of one province with include_total",
            "paths": [f"/api/v1/beneficiaries?province_code={province}&limit=50&include_total=true"],
            "sql": [
                province_list + f";\nSELECT count(*) FROM beneficiaries WHERE province_code = '{province}'"
            ],
        },
        {
            "name": "project figures by year and province",
            # A dashboard's figures are asked for now and then, not by 32 clients at once: what counts
            # is the time one answer takes beside its SQL's.
            "connections": 1,
            "paths": ["/api/v1/stats/projects?group_by=year,province"],
            "sql": [project_figures_sql("p.plan_year, p.province_code, pn.name", "")],
        },
        {
            "name": "project figures of one province by activity and source",
            "connections": 1,
            "paths": [f"/api/v1/stats/projects?group_by=activity_type,funding_source&province_code={p_province}"],
            "sql": [
                project_figures_sql(
                    "p.activity_type, p.funding_source", f" AND p.province_code = '{p_province}'"
                )
            ],
        },
        {
            "name": "indicator figures by year",
            "connections": 1,
            "paths": ["/api/v1/stats/indicators?group_by=year"],
            "sql": [INDICATOR_FIGURES_SQL],
        },
        {
            "name": "certification figures by level and year",
            "connections": 1,
            "paths": ["/api/v1/stats/certification?group_by=level,year"],
            "sql": [certification_figures_sql(today)],
        },
        {
            "name": "plan versus actual figures of a national programme",
            "connections": 1,
            "paths": [f"/api/v1/programmes/{programme['id']}/progress"],
            "sql": [progress_sql(programme)],
        },
        {
            "name": "outcome figures by activity type",
            "connections": 1,
            "paths": ["/api/v1/stats/beneficiary-outcomes?group_by=activity_type"],
            "sql": [OUTCOMES_SQL],
        },
    ], {"rare": tax_codes[0], "province": province}


# Indicator targets and actuals of the done projects per plan year and indicator.
INDICATOR_FIGURES_SQL = (
    "SELECT p.plan_year, i.code, i.unit, count(*), count(i.target), count(i.actual), sum(i.baseline), "
    "sum(i.target), sum(i.actual) FROM projects p JOIN project_indicators i ON i.project_id = p.id "
    "WHERE p.status IN ('accepted', 'settled') "
    "GROUP BY GROUPING SETS ((p.plan_year, i.code, i.unit), (i.code, i.unit)) ORDER BY 1, 2, 3"
)


def certification_figures_sql(today):
    """Entries and certificates per level and year with their totals, as one would write them:
    one statement per family, the totals by GROUPING SETS."""
    entries = (
        "SELECT r.level, r.year, count(*), count(DISTINCT e.beneficiary_id), count(sc.entry_id), "
        "count(*) FILTER (WHERE sc.total >= r.qualifying_score * sc.judges), count(c.id), "
        "count(c.id) FILTER (WHERE EXISTS (SELECT 1 FROM selection_entries n WHERE n.basis_certificate_id = c.id)) "
        "FROM selection_entries e JOIN selection_rounds r ON r.id = e.round_id "
        "LEFT JOIN (SELECT entry_id, sum(total) AS total, count(*) AS judges FROM selection_scores "
        "GROUP BY entry_id) sc ON sc.entry_id = e.id LEFT JOIN certificates c ON c.entry_id = e.id "
        "GROUP BY GROUPING SETS ((r.level, r.year), ()) ORDER BY 1, 2"
    )
    certificates = (
        "SELECT c.level, c.year, count(*), "
        f"count(*) FILTER (WHERE c.revoked_at IS NULL AND c.valid_until >= '{today}'), "
        f"count(*) FILTER (WHERE c.revoked_at IS NULL AND c.valid_until < '{today}'), "
        "count(c.revoked_at) FROM certificates c GROUP BY GROUPING SETS ((c.level, c.year), ()) ORDER BY 1, 2"
    )
    return entries + ";\n" + certificates


def progress_sql(programme):
    """A national programme's targets beside what its period's nationally funded projects did, per
    province and activity type, per province and in all."""
    return (
        "WITH moved AS (SELECT project_id, sum(CASE WHEN kind = 'refund' THEN -amount_vnd ELSE amount_vnd END) "
        "AS national FROM project_disbursements WHERE source = 'national' GROUP BY project_id), "
        "actual AS (SELECT p.province_code, p.activity_type, count(*) AS approved, "
        "count(*) FILTER (WHERE p.status IN ('accepted', 'settled')) AS accepted, "
        "sum(p.budget_national_vnd) AS approved_vnd, sum(coalesce(m.national, 0)) AS disbursed_vnd "
        "FROM projects p LEFT JOIN moved m ON m.project_id = p.id "
        "WHERE p.status IN ('approved', 'in_progress', 'suspended', 'accepted', 'settled') "
        f"AND p.plan_year BETWEEN {programme['start_year']} AND {programme['end_year']} "
        "AND p.funding_source = 'national' GROUP BY 1, 2), "
        "target AS (SELECT province_code, activity_type, target_count, target_amount_vnd FROM programme_targets "
        f"WHERE programme_id = {programme['id']}) "
        "SELECT province_code, activity_type, max(pn.name), sum(t.target_count), sum(t.target_amount_vnd), "
        "sum(a.approved), sum(a.accepted), sum(a.approved_vnd), sum(a.disbursed_vnd), "
        "sum(a.approved)::float8 / nullif(sum(t.target_count), 0), "
        "sum(a.disbursed_vnd)::float8 / nullif(sum(t.target_amount_vnd), 0) "
        "FROM target t FULL JOIN actual a USING (province_code, activity_type) "
        "JOIN provinces_2025 pn ON pn.code = province_code "
        "GROUP BY GROUPING SETS ((province_code, activity_type), (province_code), ()) ORDER BY 1, 2"
    )


# Supported establishments' growth from the year before their project to the latest year reported
# since its acceptance, as quartiles per activity type and in all (percentile_cont interpolates as
# the server does).
OUTCOMES_SQL = (
    "WITH accepted AS (SELECT project_id, max(extract(year FROM coalesce(decision_date, occurred_at::date))) AS year "
    "FROM project_history WHERE to_status = 'accepted' GROUP BY project_id), "
    "pairs AS (SELECT p.activity_type, pb.beneficiary_id, "
    "coalesce(extract(year FROM p.planned_start), p.plan_year) - 1 AS base, coalesce(a.year, p.plan_year) AS since "
    "FROM projects p JOIN project_beneficiaries pb ON pb.project_id = p.id "
    "LEFT JOIN accepted a ON a.project_id = p.id WHERE p.status IN ('accepted', 'settled')), "
    "growth AS (SELECT pairs.activity_type, "
    + ", ".join(
        f"CASE WHEN b.{c} > 0 THEN l.{c}::float8 / b.{c} END AS {c}"
        for c in ("revenue_vnd", "employees", "average_income_vnd", "total_assets_vnd")
    )
    + " FROM pairs LEFT JOIN beneficiary_annual_figures b ON b.beneficiary_id = pairs.beneficiary_id "
    "AND b.year = pairs.base LEFT JOIN LATERAL (SELECT "
    + ", ".join(
        f"(array_agg(f.{c} ORDER BY f.year DESC) FILTER (WHERE f.{c} IS NOT NULL))[1] AS {c}"
        for c in ("revenue_vnd", "employees", "average_income_vnd", "total_assets_vnd")
    )
    + " FROM beneficiary_annual_figures f WHERE f.beneficiary_id = pairs.beneficiary_id AND f.year >= pairs.since"
    ") l ON true) "
    "SELECT activity_type, count(*), "
    + ", ".join(
        f"count({c}), min({c}), percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY {c}), max({c})"
        for c in ("revenue_vnd", "employees", "average_income_vnd", "total_assets_vnd")
    )
    + " FROM growth GROUP BY ROLLUP (activity_type) ORDER BY 1"
)


def ensure_programme(servers, tokens):
    """A national 2021–2025 programme with a target for every province and activity type its
    period's nationally funded projects cover, recorded through the API on each backend (the same
    id on both). Targets are derived from the data, so that the shares are plausible."""
    rows = psql(
        PG_DB,
        "SELECT province_code, activity_type, count(*), coalesce(sum(budget_national_vnd), 0) FROM projects "
        "WHERE plan_year BETWEEN 2021 AND 2025 AND funding_source = 'national' GROUP BY 1, 2 ORDER BY 1, 2",
    ).split("\n")
    items = []
    for row in rows:
        province, activity, count, amount = row.split("|")
        items.append({"province_code": province, "activity_type": activity,
                      "target_count": int(count) * 6 // 5, "target_amount_vnd": int(amount) * 6 // 5})
    ids = {}
    for backend, server in servers.items():
        def call(method, path, body=None, headers=None):
            request = urllib.request.Request(
                f"http://127.0.0.1:{server.port}{path}", method=method,
                data=None if body is None else json.dumps(body).encode(),
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {tokens[backend]}",
                         **(headers or {})},
            )
            with urllib.request.urlopen(request) as r:
                return json.load(r), r.headers

        found, _ = call("GET", "/api/v1/programmes?level=national&year=2021")
        mine = [p for p in found["items"] if p["code"] == "BENCH-2021-2025"]
        if mine:
            ids[backend] = mine[0]["id"]
            continue
        created, headers = call("POST", "/api/v1/programmes", {
            "code": "BENCH-2021-2025", "name": "Chương trình khuyến công quốc gia giai đoạn 2021-2025",
            "level": "national", "start_year": 2021, "end_year": 2025,
            "legal_basis": "Quyết định 1881/QĐ-TTg",
        })
        call("PUT", f"/api/v1/programmes/{created['id']}/targets", {"items": items},
             {"If-Match": headers["ETag"]})
        ids[backend] = created["id"]
    if ids["postgres"] != ids["sqlite"]:
        raise SystemExit(f"the benchmark programme has different ids on the two backends: {ids}")
    return {"id": ids["postgres"], "start_year": 2021, "end_year": 2025}


def project_figures_sql(keys, where):
    """Project figures as one would write them by hand: the done projects, their approved lines and
    the money moved for them, grouped by `keys`."""
    moved = ", ".join(
        f"sum(CASE WHEN source = '{s}' THEN (CASE WHEN kind = 'refund' THEN -amount_vnd ELSE amount_vnd END) "
        f"ELSE 0 END) AS {s}"
        for s in ("national", "local", "counterpart", "other")
    )
    return (
        f"SELECT {keys}, count(*), sum(p.budget_national_vnd), sum(p.budget_local_vnd), "
        "sum(p.budget_counterpart_vnd), sum(p.budget_other_vnd), sum(m.national), sum(m.local), "
        "sum(m.counterpart), sum(m.other), "
        "sum(CASE WHEN p.status = 'settled' THEN coalesce(m.national, 0) + coalesce(m.local, 0) ELSE 0 END) "
        "FROM projects p JOIN provinces_2025 pn ON pn.code = p.province_code "
        f"LEFT JOIN (SELECT project_id, {moved} FROM project_disbursements GROUP BY project_id) m "
        f"ON m.project_id = p.id WHERE p.status IN ('accepted', 'settled'){where} GROUP BY {keys} ORDER BY {keys}"
    )


def write_scenario(token):
    """Projects in progress with room for payments of their counterpart money, and a promotion centre
    to implement new projects."""
    paid = psql(
        PG_DB,
        "SELECT p.id FROM projects p JOIN project_budget_versions b ON b.project_id = p.id "
        "AND b.budget_version = p.budget_version WHERE p.status = 'in_progress' AND p.id >= 1000 "
        "AND b.counterpart_vnd - COALESCE((SELECT sum(amount_vnd) FROM project_disbursements d "
        "WHERE d.project_id = p.id AND d.source = 'counterpart'), 0) > 100000000 "
        f"ORDER BY md5(p.id::text) LIMIT {SAMPLES}",
    ).split()
    unit = psql(
        PG_DB,
        "SELECT province_code || ' ' || id FROM organizations WHERE kind = 'provincial_promotion_centre' "
        "ORDER BY id LIMIT 1",
    ).split()
    if not paid or len(unit) != 2:
        log("no project in progress with room for payments: the write mix is left out")
        return None
    return write_mix(token, [int(i) for i in paid], (unit[0], int(unit[1])))


def explain(rare):
    """The plans of a whole identifier in `q` (its index) and of a part of one (the trigram index)."""
    part = rare[3:]
    select = "SELECT beneficiaries.id FROM beneficiaries LEFT JOIN beneficiary_personal_data " \
        "ON beneficiary_personal_data.beneficiary_id = beneficiaries.id WHERE "
    identifier = "substr(beneficiaries.identifier_value, 1, 10) = ? ORDER BY beneficiaries.id LIMIT 51"
    text = f"beneficiaries.search_key LIKE ? ESCAPE '\\' ORDER BY beneficiaries.id LIMIT 51"
    fts = ("beneficiaries.id IN (SELECT rowid FROM beneficiaries_search WHERE beneficiaries_search MATCH ?) "
           "ORDER BY beneficiaries.id LIMIT 51")

    def pg(condition, *values):
        for value in values:
            condition = condition.replace("?", sql_literal(value), 1)
        return psql(PG_DB, f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) {select}{condition}")

    def sqlite(condition, *values):
        return subprocess.run(
            ["python3", "-c",
             "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]);"
             "print('\\n'.join(str(r[3]) for r in c.execute(sys.argv[2], tuple(sys.argv[3:]))))",
             str(sqlite_path()), "EXPLAIN QUERY PLAN " + select + condition, *values],
            capture_output=True, text=True,
        ).stdout.strip()

    return {
        "identifier": (pg(identifier, rare), sqlite(identifier, rare)),
        "text": (pg(text, f"%{part}%"), sqlite(fts, f'"{part}"')),
    }


def rss_mib(pid):
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def download_csv(server, token, path):
    """Reads a CSV answer in 64 KiB pieces while another thread samples the server's resident
    memory every 10 ms. Returns rows (lines after the heading), bytes, seconds and the highest
    resident memory seen."""
    import threading

    peak = [rss_mib(server.proc.pid)]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], rss_mib(server.proc.pid))
            time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    lines = size = 0
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", headers={"Accept": "text/csv", "Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as r:
            while piece := r.read(65536):
                size += len(piece)
                lines += piece.count(b"\n")
    finally:
        done.set()
        sampler.join()
    # Quoted cells hold no line breaks in the seeded data: one line per row, and the heading.
    return {"rows": lines - 1, "bytes": size, "secs": time.monotonic() - started, "peak": peak[0]}


def csv_exports(province):
    """Every establishment as CSV, and one province's, from a server started for it alone: the
    resident memory at rest, and the highest seen during each download. Memory that does not grow
    with the rows shows as the same peak for 100,000 rows as for a few thousand. Beside it, the
    time PostgreSQL's own COPY takes to write the same rows as CSV."""
    results = {}
    for backend in PORTS:
        server = Server(backend)
        server.start()
        try:
            token = server.token("bench-ministry")
            download_csv(server, token, "/api/v1/beneficiaries?limit=1")  # the first request's set-up
            at_rest = rss_mib(server.proc.pid)
            one = download_csv(server, token, f"/api/v1/beneficiaries?province_code={province}")
            every = download_csv(server, token, "/api/v1/beneficiaries")
            results[backend] = {"at_rest": at_rest, "province": one, "all": every}
        finally:
            server.stop()
    started = time.monotonic()
    copied = psql(
        PG_DB,
        f"COPY (SELECT {BENEFICIARY_WITH_PERSONAL_DATA} FROM beneficiaries LEFT JOIN beneficiary_personal_data "
        "ON beneficiary_personal_data.beneficiary_id = beneficiaries.id ORDER BY beneficiaries.id) "
        "TO STDOUT WITH (FORMAT csv, HEADER)",
    )
    results["copy"] = {"secs": time.monotonic() - started, "bytes": len(copied.encode()) + 1}
    return results


def fmt_cell(result):
    if result is None:
        return "–"
    cell = f"{result['rate']:,.0f} · {result['p50']:.2f} · {result['p99']:.2f}"
    if result["errors"]:
        cell += f" ({result['errors']} errors)"
    return cell


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--fresh", action="store_true", help="seed again even if bench/work holds data")
    parser.add_argument("--only", help="run the scenarios whose name contains this text")
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()

    for tool in ("wrk", "pgbench", "psql"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed (Debian: apt-get install wrk postgresql-client)")
    if not BINARY.exists():
        raise SystemExit("build the release binary first: cargo build --release")

    seed(args.scale, args.fresh)
    servers = {backend: Server(backend) for backend in PORTS}
    try:
        for server in servers.values():
            server.start()
            log(f"{server.backend} server ready in {server.ready_ms:.0f} ms")
        tokens = {b: s.token("bench-ministry") for b, s in servers.items()}
        plan, extra = scenarios(ensure_programme(servers, tokens))
        writes = write_scenario(tokens["postgres"])
        if writes:
            plan.append(writes)
        if args.only:
            plan = [s for s in plan if args.only in s["name"]]
        rows = []
        for scenario in plan:
            results = {}
            connections = scenario.get("connections", args.connections)
            threads = min(args.threads, connections)
            for kind in ("postgres", "pgbench", "sqlite"):
                log(f"{scenario['name']}: {kind}")
                if kind == "pgbench" and scenario["sql"] is None:
                    results[kind] = None
                elif kind == "pgbench":
                    if not scenario.get("write"):
                        run_pgbench(re.sub(r"\W+", "-", scenario["name"]), scenario["sql"],
                                    WARM_UP_SECS, connections, threads)
                    results[kind] = run_pgbench(
                        re.sub(r"\W+", "-", scenario["name"]), scenario["sql"],
                        args.duration, connections, threads,
                    )
                else:
                    token = None if scenario.get("public") else tokens[kind]
                    name = f"{kind}-{re.sub(r'[^a-z]+', '-', scenario['name'])}"
                    if scenario.get("write"):
                        script = wrk_write_script(name, scenario["requests"], token)
                    else:
                        script = wrk_script(name, scenario["paths"], token)
                    if not scenario.get("write"):
                        # Discarded: the measured cell starts with the database's pages and the
                        # server's kept answers as they are in steady state, as pgbench's does.
                        run_wrk(PORTS[kind], script, WARM_UP_SECS, connections, threads)
                    results[kind] = run_wrk(PORTS[kind], script, args.duration, connections, threads)
            rows.append((scenario, results))
        rss = {b: s.peak_rss_mib() for b, s in servers.items()}
        plans = explain(extra["rare"])
    finally:
        for server in servers.values():
            server.stop()

    exports = csv_exports(extra["province"]) if not args.only or "csv" in args.only else None

    # Start to ready on the migrated database, measured again now that nothing else runs.
    ready = {}
    for backend in PORTS:
        server = Server(backend)
        server.start()
        ready[backend] = server.ready_ms
        server.stop()

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    pg_version = psql("postgres", "SHOW server_version")
    lines = [
        "# Benchmark results",
        "",
        f"Run of `bench/run.sh` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit "
        f"`{commit}`, {os.cpu_count()} cores shared by the server, the database and the load generator; "
        f"PostgreSQL {pg_version}; scale {args.scale:g} (see `khuyencong seed`); wrk {args.threads} threads × "
        f"{args.connections} connections × {args.duration} s per cell (the project figures: one connection, as a dashboard asks); pgbench `-M prepared` with the same "
        "concurrency running, per transaction, every statement one request issues, for the same parameter values. The scenarios run one "
        "after the other, each on PostgreSQL, then pgbench, then SQLite; each read cell follows a "
        f"{WARM_UP_SECS}-second warm-up whose figures are not kept.",
        "",
        "Cells: requests (or transactions) per second · p50 ms · p99 ms.",
        "",
        "| scenario | server on PostgreSQL | server on SQLite | pgbench, same SQL | PostgreSQL server ÷ pgbench |"
        " p99 ÷ p50 (PG, SQLite) |",
        "|---|---|---|---|---|---|",
    ]
    for scenario, r in rows:
        ratio = (f"{r['postgres']['rate'] / r['pgbench']['rate']:.2f}"
                 if r["pgbench"] and r["pgbench"]["rate"] else "–")
        tails = " / ".join(
            f"{r[b]['p99'] / r[b]['p50']:.1f}" if r[b]["p50"] else "–" for b in ("postgres", "sqlite")
        )
        lines.append(
            f"| {scenario['name']} | {fmt_cell(r['postgres'])} | {fmt_cell(r['sqlite'])} | "
            f"{fmt_cell(r['pgbench'])} | {ratio} | {tails} |"
        )
    by_name = {s["name"]: r for s, r in rows}
    get = by_name.get("establishment by id")
    rare = by_name.get("establishments, q=a tax code (rare word)")
    lines += [""]
    if get and rare:
        lines.append(
            "Rare-word search ÷ get by id, same run: "
            f"PostgreSQL {rare['postgres']['rate'] / get['postgres']['rate']:.2f}, "
            f"SQLite {rare['sqlite']['rate'] / get['sqlite']['rate']:.2f}."
        )
        lines.append("")
    lines += [
        f"Peak RSS of the server over the whole run: PostgreSQL {rss['postgres']:.0f} MiB, "
        f"SQLite {rss['sqlite']:.0f} MiB.",
        "",
        f"Start to ready (`/readyz` answers 200) on the migrated database: PostgreSQL {ready['postgres']:.0f} ms, "
        f"SQLite {ready['sqlite']:.0f} ms.",
        "",
    ]
    if exports:
        lines += [
            "## Every establishment as CSV",
            "",
            "`GET /api/v1/beneficiaries` with `Accept: text/csv` as the ministry (personal data included), each "
            "backend on a server started for it alone; resident memory sampled every 10 ms during each download. "
            f"PostgreSQL's own `COPY … TO STDOUT (FORMAT csv)` of the same rows took {exports['copy']['secs']:.2f} s "
            f"({exports['copy']['bytes'] / 2**20:.1f} MiB, through psql).",
            "",
            "| backend | at rest | one province: rows · MiB · s · peak RSS | every establishment: rows · MiB · s · "
            "peak RSS |",
            "|---|---|---|---|",
        ]
        for backend in PORTS:
            e = exports[backend]
            lines.append(
                f"| {backend} | {e['at_rest']:.0f} MiB | "
                + " | ".join(
                    f"{d['rows']:,} · {d['bytes'] / 2**20:.1f} · {d['secs']:.2f} · {d['peak']:.0f} MiB"
                    for d in (e["province"], e["all"])
                )
                + " |"
            )
        lines.append("")
    lines += [
        "## The rare-word searches use an index",
        "",
    ]
    for title, key in (
        (f"A whole identifier, `q={extra['rare']}` (the identifier index)", "identifier"),
        (f"A part of one, `q={extra['rare'][3:]}` (the trigram indexes)", "text"),
    ):
        pg_plan, sqlite_plan = plans[key]
        lines += [f"### {title}", "", "PostgreSQL:", "", "```", pg_plan, "```", "", "SQLite:", "", "```",
                  sqlite_plan, "```", ""]
    Path(args.out).write_text("\n".join(lines))
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
