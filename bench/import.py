#!/usr/bin/env python3
"""Bulk-import benchmark: 100,000 establishments imported from CSV on PostgreSQL (command line and
HTTP job) beside PostgreSQL's own COPY of the same rows into the same tables, in one run.

Every measurement starts from a fresh database made from one migrated template (same tables, same
indexes, empty). The import is timed as a whole: for `khuyencong import` the process from start to
exit (reading the file, checking every row, writing); over HTTP from the POST to the job's
`succeeded`. COPY is `\\copy beneficiaries FROM` and `\\copy beneficiary_personal_data FROM` in one
transaction, of files dumped (`\\copy … TO`) from the first import, i.e. the very rows the import
wrote. Both sides write both tables.

Run through bench/import.sh, which builds the release binary first. Standard library only.
"""

import argparse
import csv
import datetime
import json
import os
import random
import signal
import statistics
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work" / "import"
BINARY = ROOT / "target" / "release" / "khuyencong"
UNITS = ROOT / "data" / "admin-units"
PASSWORD = "Bench-Import-2026!"
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PG_DB = "kc_bench_import"
PG_TEMPLATE = "kc_bench_import_template"
PORT = 18183
JWT_SECRET = "YmVuY2gtcmVnaXN0cnktc2lnbmluZy1rZXktMzItYnl0ZXMhIQ"
POLL_SECS = 0.05

COLUMNS = [
    "name", "legal_form", "identifier_type", "identifier_value", "representative_name",
    "representative_phone", "representative_national_id", "household_owner_name", "address_line",
    "province_code", "commune_code", "recorded_province_code_pre2025", "recorded_district_code_pre2025",
    "main_sector_vsic", "size_class", "employees", "founding_year", "in_craft_village", "craft_village_name",
    "women_owned", "ethnic_minority_owned", "disadvantaged_area", "phone", "email", "website",
]


def log(message):
    print(f"[import-bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def pg_url(database):
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{database}"


def psql(database, sql):
    out = subprocess.run(
        ["psql", pg_url(database), "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
        check=True, capture_output=True, text=True,
    )
    return out.stdout.strip()


# ---------------------------------------------------------------------------------------------
# The file

FAMILY = [("Nguyễn", 31), ("Trần", 11), ("Lê", 9), ("Phạm", 7), ("Hoàng", 5), ("Huỳnh", 4), ("Phan", 4),
          ("Vũ", 4), ("Võ", 4), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 1), ("Ngô", 1), ("Dương", 1),
          ("Lý", 1), ("Đinh", 1), ("Trương", 1), ("Mai", 1), ("Hà", 1), ("Đoàn", 1)]
MIDDLE_M = ["Văn", "Văn", "Hữu", "Đức", "Minh", "Quang", "Xuân", "Công", "Thanh", "Ngọc", "Trọng", "Duy"]
MIDDLE_F = ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Kim", "Minh", "Hồng", "Bích", "Mỹ"]
GIVEN_M = ["Hùng", "Dũng", "Tuấn", "Hải", "Nam", "Sơn", "Long", "Thắng", "Bình", "Cường", "Quân", "Trung",
           "Hiếu", "Phong", "Thành", "Tài", "Lộc", "Phúc", "Tâm", "Vinh", "Đạt", "Nghĩa", "Huy", "Việt"]
GIVEN_F = ["Lan", "Hoa", "Hương", "Mai", "Linh", "Trang", "Thảo", "Hà", "Nga", "Yến", "Hạnh", "Dung",
           "Huyền", "Phương", "Loan", "Nhung", "Vân", "Oanh", "Thủy", "Hằng"]
# (craft wording, VSIC 2018 code)
CRAFTS = [("mây tre đan", "3290"), ("gốm sứ", "2393"), ("dệt thổ cẩm", "1311"), ("chế biến nông sản", "1079"),
          ("mộc mỹ nghệ", "1629"), ("sơn mài", "3290"), ("chế biến chè", "1077"), ("rèn", "2593"),
          ("nước mắm", "1020"), ("bánh tráng", "1071"), ("đồ gỗ nội thất", "3100"), ("cơ khí nhỏ", "2592"),
          ("thêu ren", "1392"), ("chiếu cói", "1629"), ("chế biến thủy sản", "1020"), ("nấu rượu", "1101"),
          ("đúc đồng", "2432"), ("chạm bạc", "3211"), ("dệt lụa", "1312"), ("làm hương", "3290")]
PLACES = ["Phú Vinh", "Bát Tràng", "Vạn Phúc", "Đồng Kỵ", "La Phù", "Thanh Hà", "Kim Sơn", "Hạ Thái",
          "Chuông", "Phước Kiều", "Bàu Trúc", "Tân Châu", "Mỹ Đồng", "Đa Sỹ", "Ninh Hiệp", "Bình Minh",
          "Tân Lập", "Đông Hòa", "An Phú", "Hòa Bình", "Quang Trung", "Thịnh Vượng", "Hưng Thịnh"]
COMPANY_KINDS = ["Công ty TNHH", "Công ty TNHH", "Công ty cổ phần", "Doanh nghiệp tư nhân"]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Trãi", "Hai Bà Trưng", "Quang Trung", "Lý Thường Kiệt",
           "Hùng Vương", "Nguyễn Huệ", "Phan Chu Trinh", "Điện Biên Phủ"]
# legal form: share of the file, and the identifier types with their weights (the ones it allows)
LEGAL_FORMS = [
    ("household_business", 44, [("household_registration", 85), ("tax_code", 15)]),
    ("enterprise", 25, [("tax_code", 100)]),
    ("cooperative", 12, [("cooperative_code", 80), ("tax_code", 20)]),
    ("cooperative_group", 8, [("none", 70), ("tax_code", 30)]),
    ("artisan", 8, [("none", 60), ("household_registration", 25), ("tax_code", 15)]),
    ("cooperative_union", 3, [("cooperative_code", 60), ("tax_code", 40)]),
]
WEIGHTS = [31, 29, 23, 19, 17, 13, 7, 5, 3]


def weighted(rng, items):
    return rng.choices([i[0] for i in items], weights=[i[1] for i in items])[0]


def check_digit(nine):
    """src/domain/identifiers.rs: 10 − (Σ wᵢ·dᵢ mod 11); None when that is 10 (never issued)."""
    check = 10 - sum(d * w for d, w in zip(nine, WEIGHTS)) % 11
    return check if check < 10 else None


def read_units():
    with open(UNITS / "communes_2025.csv", encoding="utf-8") as f:
        communes = [(r["province_code"], r["code"], r["full_name"]) for r in csv.DictReader(f)]
    with open(UNITS / "districts_pre2025.csv", encoding="utf-8") as f:
        districts = {}
        for r in csv.DictReader(f):
            if r["in_force_2025_06_30"] == "true":
                districts.setdefault(r["successor_province_code"], []).append((r["province_code"], r["code"]))
    with open(UNITS / "provinces_pre2025.csv", encoding="utf-8") as f:
        pre2025 = {r["code"] for r in csv.DictReader(f)}
    for nested in districts.values():
        for province, _ in nested:
            assert province in pre2025, province
    return communes, districts


def generate(path, rows, seed=20260701):
    rng = random.Random(seed)
    communes, districts = read_units()
    used = set()

    def person(woman):
        family = weighted(rng, FAMILY)
        if woman:
            return f"{family} {rng.choice(MIDDLE_F)} {rng.choice(GIVEN_F)}"
        return f"{family} {rng.choice(MIDDLE_M)} {rng.choice(GIVEN_M)}"

    def tax_code(office, branch):
        while True:
            nine = [int(office[0]), int(office[1])] + [rng.randrange(10) for _ in range(7)]
            check = check_digit(nine)
            if check is None or not any(nine[2:]):
                continue
            code = "".join(map(str, nine)) + str(check)
            if branch:
                code += f"-{rng.randrange(1, 20):03d}"
            if code not in used:
                used.add(code)
                return code

    def household_registration(province):
        while True:
            code = f"{province}{chr(ord('A') + rng.randrange(26))}8{rng.randrange(1, 1_000_000):06d}"
            if code not in used:
                used.add(code)
                return code

    def phone():
        return rng.choice(["09", "03", "08", "07"]) + f"{rng.randrange(10**8):08d}"

    counts = {}
    with open(path, "w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(COLUMNS)
        for n in range(rows):
            province, commune, commune_name = rng.choice(communes)
            form = weighted(rng, [(f, w) for f, w, _ in LEGAL_FORMS])
            kind = weighted(rng, next(ids for f, _, ids in LEGAL_FORMS if f == form))
            counts[(form, kind)] = counts.get((form, kind), 0) + 1
            craft, vsic = rng.choice(CRAFTS)
            place = rng.choice(PLACES)
            woman = rng.random() < 0.45
            owner = person(woman)
            # A third were recorded before the 2025 reform: a district that is now in this province,
            # and its province of the time.
            recorded_province = recorded_district = ""
            if rng.random() < 0.33 and province in districts:
                recorded_province, recorded_district = rng.choice(districts[province])
            office = recorded_province or province
            value = ""
            if kind in ("tax_code", "cooperative_code"):
                value = tax_code(office, kind == "tax_code" and form == "enterprise" and rng.random() < 0.05)
            elif kind == "household_registration":
                value = household_registration(office)
            if form == "enterprise":
                name = f"{rng.choice(COMPANY_KINDS)} {craft} {place} {n}"
            elif form in ("cooperative", "cooperative_union"):
                name = f"{'Liên hiệp hợp tác xã' if form == 'cooperative_union' else 'Hợp tác xã'} {craft} {place}"
            elif form == "cooperative_group":
                name = f"Tổ hợp tác {craft} {place}"
            elif form == "household_business":
                name = f"Hộ kinh doanh {owner}"
            else:
                name = f"Nghệ nhân {owner}"
            employees = {"household_business": 6, "artisan": 3, "cooperative_group": 12}.get(form, 40)
            employees = max(1, int(rng.expovariate(1 / employees)))
            size = "micro" if employees < 10 else "small" if employees < 100 else "medium" if employees < 200 else "large"
            craft_village = rng.random() < 0.25
            personal = rng.random() < 0.6
            row = {
                "name": name,
                "legal_form": form,
                "identifier_type": kind,
                "identifier_value": value,
                "representative_name": owner,
                "representative_phone": phone() if personal else "",
                "representative_national_id": (f"{rng.randrange(1, 97):03d}{rng.choice('0123')}"
                                               f"{rng.randrange(100):02d}{rng.randrange(10**6):06d}")
                if personal and rng.random() < 0.7 else "",
                "household_owner_name": owner if form == "household_business" and personal else "",
                "address_line": (f"Thôn {rng.randrange(1, 15)}, {commune_name}" if rng.random() < 0.6
                                 else f"Số {rng.randrange(1, 400)} đường {rng.choice(STREETS)}"),
                "province_code": province,
                "commune_code": commune,
                "recorded_province_code_pre2025": recorded_province,
                "recorded_district_code_pre2025": recorded_district,
                "main_sector_vsic": vsic if rng.random() < 0.8 else "",
                "size_class": size if rng.random() < 0.7 else "",
                "employees": str(employees) if rng.random() < 0.8 else "",
                "founding_year": str(rng.randrange(1975, 2026)) if rng.random() < 0.7 else "",
                "in_craft_village": "true" if craft_village else rng.choice(["false", ""]),
                "craft_village_name": f"Làng nghề {craft} {place}" if craft_village else "",
                "women_owned": "true" if woman else "false",
                "ethnic_minority_owned": "true" if rng.random() < 0.08 else "false",
                "disadvantaged_area": "true" if rng.random() < 0.15 else "false",
                "phone": phone() if rng.random() < 0.5 else "",
                "email": f"lienhe{n}@coso{n % 997}.vn" if rng.random() < 0.2 else "",
                "website": f"https://coso{n}.vn" if form == "enterprise" and rng.random() < 0.3 else "",
            }
            out.writerow([row[c] for c in COLUMNS])
    return counts


# ---------------------------------------------------------------------------------------------
# Databases

def fresh_database():
    """A fresh `kc_bench_import`: a copy of the migrated template (empty tables, same indexes)."""
    psql("postgres", f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    psql("postgres", f'CREATE DATABASE "{PG_DB}" TEMPLATE "{PG_TEMPLATE}"')
    psql(PG_DB, "CHECKPOINT")


def make_template():
    psql("postgres", f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    psql("postgres", f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}" WITH (FORCE)')
    psql("postgres", f'CREATE DATABASE "{PG_TEMPLATE}"')
    subprocess.run([str(BINARY), "migrate"], env=binary_env(pg_url(PG_TEMPLATE)), check=True,
                   stdout=subprocess.DEVNULL)
    # The template is read only by CREATE DATABASE … TEMPLATE: no session may stay on it.
    psql(PG_TEMPLATE, "VACUUM ANALYZE")


def drop_databases():
    psql("postgres", f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    psql("postgres", f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}" WITH (FORCE)')


def binary_env(url, **extra):
    return {**os.environ, "DATABASE_URL": url, "RUST_LOG": "warn", **extra}


def counts():
    return (int(psql(PG_DB, "SELECT count(*) FROM beneficiaries")),
            int(psql(PG_DB, "SELECT count(*) FROM beneficiary_personal_data")))


# ---------------------------------------------------------------------------------------------
# The three measurements

def time_cli(csv_path, dry_run=False):
    fresh_database()
    started = time.monotonic()
    out = subprocess.run(
        [str(BINARY), "import", str(csv_path), "--kind", "beneficiaries", *(["--dry-run"] if dry_run else [])],
        env=binary_env(pg_url(PG_DB)), capture_output=True, text=True,
    )
    seconds = time.monotonic() - started
    if out.returncode != 0:
        raise SystemExit(f"the import failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    return seconds


class Server:
    def __init__(self):
        self.proc = None

    def start(self):
        env = binary_env(
            pg_url(PG_DB),
            BIND_ADDR=f"127.0.0.1:{PORT}",
            JWT_SECRET=JWT_SECRET,
            ACCESS_TOKEN_TTL_SECS="7200",
            RUST_LOG="info",
            LOGIN_ATTEMPTS_PER_CLIENT="1000",
        )
        with open(WORK / "server.log", "a") as server_log:
            self.proc = subprocess.Popen([str(BINARY)], env=env, stdout=subprocess.DEVNULL, stderr=server_log)
        started = time.monotonic()
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit("the server exited at start (bench/work/import/server.log)")
            if time.monotonic() - started > 60:
                raise SystemExit("the server did not get ready")
            time.sleep(0.02)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def request(method, path, token=None, body=None, content_type="application/json"):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.status, json.load(r)


def time_http(csv_bytes, server):
    fresh_database()
    subprocess.run(
        [str(BINARY), "user", "create", "--username", "bench-admin", "--role", "admin", "--password-stdin"],
        env=binary_env(pg_url(PG_DB)), input=PASSWORD + "\n", text=True, check=True,
        stdout=subprocess.DEVNULL,
    )
    server.start()
    try:
        _, login = request("POST", "/api/v1/auth/login",
                           body=json.dumps({"username": "bench-admin", "password": PASSWORD}).encode())
        token = login["access_token"]
        started = time.monotonic()
        status, job = request("POST", "/api/v1/imports?kind=beneficiaries", token, csv_bytes, "text/csv")
        if status == 201:  # a file under IMPORT_SYNC_MAX_BYTES is imported within the request
            return time.monotonic() - started
        if status != 202:
            raise SystemExit(f"expected 202 for a large file, got {status}: {job}")
        while job["state"] not in ("succeeded", "failed"):
            time.sleep(POLL_SECS)
            _, job = request("GET", f"/api/v1/imports/{job['id']}", token)
        seconds = time.monotonic() - started
        if job["state"] != "succeeded":
            raise SystemExit(f"the import job failed: {json.dumps(job)[:3000]}")
        return seconds
    finally:
        server.stop()


def dump_rows():
    """The rows the import wrote, as PostgreSQL's COPY text format."""
    for table in ("beneficiaries", "beneficiary_personal_data"):
        subprocess.run(
            ["psql", pg_url(PG_DB), "-v", "ON_ERROR_STOP=1", "-qc",
             f"\\copy {table} TO '{WORK / (table + '.copy')}'"],
            check=True,
        )


def time_copy():
    fresh_database()
    script = WORK / "copy.sql"
    script.write_text(
        "BEGIN;\n"
        f"\\copy beneficiaries FROM '{WORK / 'beneficiaries.copy'}'\n"
        f"\\copy beneficiary_personal_data FROM '{WORK / 'beneficiary_personal_data.copy'}'\n"
        "COMMIT;\n"
    )
    started = time.monotonic()
    subprocess.run(["psql", pg_url(PG_DB), "-q", "-v", "ON_ERROR_STOP=1", "-f", str(script)], check=True)
    return time.monotonic() - started


# ---------------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--goal", type=float, default=3.0, help="the largest ratio import / COPY taken")
    parser.add_argument("--keep", action="store_true", help="keep the databases (dropped by default)")
    parser.add_argument("--only", choices=["cli", "http", "copy", "check"], action="append",
                        help="run only these measurements (COPY needs one import first)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    csv_path = WORK / f"establishments-{args.rows}.csv"
    log(f"generating {args.rows:,} establishments in {csv_path.relative_to(ROOT)}")
    mix = generate(csv_path, args.rows)
    csv_bytes = csv_path.read_bytes()
    log(f"{len(csv_bytes) / 2**20:.1f} MiB; legal form × identifier type: "
        + ", ".join(f"{f}/{k} {n}" for (f, k), n in sorted(mix.items())))
    # The COPY files are dumped from this run's first import.
    for table in ("beneficiaries", "beneficiary_personal_data"):
        (WORK / f"{table}.copy").unlink(missing_ok=True)
    load_before = f"{os.getloadavg()[0]:.2f}"
    make_template()
    server = Server()
    which = args.only or ["cli", "http", "copy", "check"]
    times = {k: [] for k in which}
    rows_written = None
    try:
        for round_ in range(1, args.repeat + 1):
            for kind in which:
                if kind == "check":
                    # A dry run: the same command reading and checking every row, writing nothing.
                    times[kind].append(time_cli(csv_path, dry_run=True))
                    log(f"round {round_}: {kind:5} {times[kind][-1]:7.2f} s (dry run, nothing written)")
                    continue
                if kind == "cli":
                    seconds = time_cli(csv_path)
                elif kind == "http":
                    seconds = time_http(csv_bytes, server)
                else:
                    if not (WORK / "beneficiaries.copy").exists():
                        fresh_database()
                        time_cli(csv_path)
                        dump_rows()
                    seconds = time_copy()
                written = counts()
                if written[0] != args.rows:
                    raise SystemExit(f"{kind}: {written[0]} establishments written, not {args.rows}")
                if rows_written and written != rows_written:
                    raise SystemExit(f"{kind}: {written} rows written, the earlier measurement {rows_written}")
                rows_written = written
                if kind == "cli" and not (WORK / "beneficiaries.copy").exists():
                    dump_rows()
                times[kind].append(seconds)
                log(f"round {round_}: {kind:5} {seconds:7.2f} s ({written[0]:,} establishments, "
                    f"{written[1]:,} personal-data rows)")
    finally:
        server.stop()
        if not args.keep:
            drop_databases()
    medians = {k: statistics.median(v) for k, v in times.items()}
    lines = [
        f"Bulk import of {args.rows:,} establishments vs COPY (PostgreSQL, "
        f"{datetime.date.today()}, {len(csv_bytes) / 2**20:.1f} MiB CSV, "
        f"{rows_written[1]:,} personal-data rows)",
        "",
        "| measurement | runs (s) | median (s) | ÷ COPY |",
        "|---|---|---|---|",
    ]
    labels = {"cli": "`khuyencong import` (CLI)", "http": "`POST /api/v1/imports` job (HTTP)",
              "copy": "`\\copy … FROM` (both tables)",
              "check": "`khuyencong import --dry-run` (read and check only)"}
    for kind in which:
        ratio = f"{medians[kind] / medians['copy']:.2f}" if "copy" in medians else "–"
        runs = ", ".join(f"{s:.2f}" for s in times[kind])
        lines.append(f"| {labels[kind]} | {runs} | {medians[kind]:.2f} | {ratio} |")
    lines += ["", f"Machine: {os.cpu_count()} cores; load average before / after the run: {load_before} / "
              f"{os.getloadavg()[0]:.2f}."]
    if "copy" in medians:
        verdicts = [f"{k}: {'met' if medians[k] / medians['copy'] <= args.goal else 'NOT met'}"
                    for k in which if k in ("cli", "http")]
        lines += ["", f"Goal ≤ {args.goal:g} × COPY — " + "; ".join(verdicts)]
    report = "\n".join(lines)
    print("\n" + report)
    (WORK / "result.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
