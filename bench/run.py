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
        marker.touch()
    else:
        log("reusing the seeded databases in bench/work (--fresh to seed again)")


class Server:
    def __init__(self, backend):
        self.backend = backend
        self.port = PORTS[backend]
        self.url = pg_url(PG_DB) if backend == "postgres" else str(sqlite_path())
        self.proc = None
        self.ready_ms = None

    def start(self):
        env = {
            **os.environ,
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
        script = folder / f"s{i}.sql"
        script.write_text(sql.rstrip().rstrip(";") + ";\n")
        args += ["-f", str(script)]
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


def scenarios():
    """Each scenario: the request paths and, for pgbench, every statement the server issues for one
    request (the caller's account is not read: the server keeps recently checked sessions)."""
    rng = random.Random(7)
    max_beneficiary = int(psql(PG_DB, "SELECT max(id) FROM beneficiaries"))
    max_project = int(psql(PG_DB, "SELECT max(id) FROM projects"))
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
        "SELECT province_code || ' ' || plan_year || ' ' || status FROM projects "
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
                beneficiaries_where(
                    f"beneficiaries.identifier_value >= '{t}' AND beneficiaries.identifier_value < '{t}.'"
                )
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
    ], {"rare": tax_codes[0], "province": province}


def explain(rare):
    """The plans of a whole identifier in `q` (its index) and of a part of one (the trigram index)."""
    part = rare[3:]
    select = "SELECT beneficiaries.id FROM beneficiaries LEFT JOIN beneficiary_personal_data " \
        "ON beneficiary_personal_data.beneficiary_id = beneficiaries.id WHERE "
    identifier = f"beneficiaries.identifier_value >= ? AND beneficiaries.identifier_value < ? ORDER BY beneficiaries.id LIMIT 51"
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
             str(sqlite_path()), select + condition, *values],
            capture_output=True, text=True,
        ).stdout.strip()

    return {
        "identifier": (pg(identifier, rare, rare + "."), sqlite(identifier, rare, rare + ".")),
        "text": (pg(text, f"%{part}%"), sqlite(fts, f'"{part}"')),
    }


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
        plan, extra = scenarios()
        if args.only:
            plan = [s for s in plan if args.only in s["name"]]
        rows = []
        for scenario in plan:
            results = {}
            for kind in ("postgres", "pgbench", "sqlite"):
                log(f"{scenario['name']}: {kind}")
                if kind == "pgbench":
                    results[kind] = run_pgbench(
                        re.sub(r"\W+", "-", scenario["name"]), scenario["sql"],
                        args.duration, args.connections, args.threads,
                    )
                else:
                    token = None if scenario.get("public") else tokens[kind]
                    script = wrk_script(f"{kind}-{re.sub(r'[^a-z]+', '-', scenario['name'])}",
                                        scenario["paths"], token)
                    results[kind] = run_wrk(PORTS[kind], script, args.duration, args.connections, args.threads)
            rows.append((scenario, results))
        rss = {b: s.peak_rss_mib() for b, s in servers.items()}
        plans = explain(extra["rare"])
    finally:
        for server in servers.values():
            server.stop()

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
        f"{args.connections} connections × {args.duration} s per cell; pgbench `-M prepared` with the same "
        "concurrency running, per transaction, every statement one request issues, for the same parameter values. The scenarios run one "
        "after the other, each on PostgreSQL, then pgbench, then SQLite.",
        "",
        "Cells: requests (or transactions) per second · p50 ms · p99 ms.",
        "",
        "| scenario | server on PostgreSQL | server on SQLite | pgbench, same SQL | PostgreSQL server ÷ pgbench |"
        " p99 ÷ p50 (PG, SQLite) |",
        "|---|---|---|---|---|---|",
    ]
    for scenario, r in rows:
        ratio = r["postgres"]["rate"] / r["pgbench"]["rate"] if r["pgbench"]["rate"] else 0
        tails = " / ".join(
            f"{r[b]['p99'] / r[b]['p50']:.1f}" if r[b]["p50"] else "–" for b in ("postgres", "sqlite")
        )
        lines.append(
            f"| {scenario['name']} | {fmt_cell(r['postgres'])} | {fmt_cell(r['sqlite'])} | "
            f"{fmt_cell(r['pgbench'])} | {ratio:.2f} | {tails} |"
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
