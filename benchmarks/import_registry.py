"""How fast a resident ledger is imported from Excel: a generated N-row .xlsx through the real
code path (upload service, background task, validation, commit) into a fresh SQLite database,
compared with a bare python-calamine read of the same file.

    python benchmarks/import_registry.py --rows 100000
    python benchmarks/import_registry.py --rows 1000000 --xlsx /tmp/ledger-1m.xlsx   # keep/reuse the file

The file looks like a community office's ledger: a title row, a serial-number column, one
row per person, about three people per room, spread over the grids of a small tree; the
compounds, buildings and units do not exist yet and are created by the import. Phones are
drawn from a few thousand number blocks, as the phones of one district are.

Peak memory is the process's maximum resident set (ru_maxrss); the bare read runs in a
child process so that each figure is its own peak.
"""

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏宇浩然子涵欣怡梓轩雨桐佳琪晨阳思远"
RELATIONS = ["户主", "配偶", "子", "女", "父亲", "母亲"]
MOBILE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
                   "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187",
                   "188", "189", "191", "198", "199"]
HEADERS = ["序号", "网格", "小区", "楼栋", "单元", "房号", "姓名", "身份证号", "性别", "出生日期", "联系电话", "与户主关系",
           "人员类型", "备注"]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ledger_write(path: Path, *, rows: int, grids: list[str], seed: int) -> None:
    """The ledger, written row by row (xlsxwriter's constant_memory mode)."""
    import xlsxwriter

    from lianfang.core.idnumbers import check_digit

    rng = random.Random(seed)
    blocks = [rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10000):04d}" for _ in range(3000)]
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("花名册")
    sheet.write_string(0, 0, "XX街道居民花名册")
    for j, header in enumerate(HEADERS):
        sheet.write_string(1, j, header)
    seen: set[str] = set()
    person = 0
    household = 0
    while person < rows:
        # About a unit of 12 flats (6 floors, 2 doors), 3 units a building, 20 buildings a compound.
        grid = grids[household % len(grids)]
        local = household // len(grids)
        compound = f"小区{local // 720 + 1}"
        building = f"{local // 36 % 20 + 1}号楼"
        unit = f"{local // 12 % 3 + 1}单元"
        room = f"{local % 12 // 2 + 1}0{local % 2 + 1}"
        household += 1
        for k in range(min(rng.choice((1, 2, 3, 3, 4, 5)), rows - person)):
            while True:
                first17 = (f"{rng.choice(('110105', '110101', '620102', '370102'))}"
                           f"{rng.randrange(1935, 2020)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}")
                number = first17 + check_digit(first17)
                if number not in seen:
                    seen.add(number)
                    break
            r = person + 2
            sheet.write_number(r, 0, person + 1)
            sheet.write_string(r, 1, grid)
            sheet.write_string(r, 2, compound)
            sheet.write_string(r, 3, building)
            sheet.write_string(r, 4, unit)
            sheet.write_string(r, 5, room)
            sheet.write_string(r, 6, rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", rng.choice(GIVEN))))
            sheet.write_string(r, 7, number)
            sheet.write_string(r, 8, "男" if int(number[16]) % 2 else "女")
            sheet.write_string(r, 9, f"{number[6:10]}-{number[10:12]}-{number[12:14]}")
            sheet.write_string(r, 10, rng.choice(blocks) + f"{rng.randrange(10000):04d}")
            sheet.write_string(r, 11, RELATIONS[min(k, len(RELATIONS) - 1)])
            sheet.write_string(r, 12, "常住" if rng.random() < 0.85 else "暂住")
            person += 1
    book.close()


def bare_read(path: str) -> None:
    """Child process: read every row with python-calamine and do nothing with it."""
    from python_calamine import CalamineWorkbook

    started = time.perf_counter()
    book = CalamineWorkbook.from_path(path)
    sheet = book.get_sheet_by_name(book.sheet_names[0])
    n = sum(1 for _ in sheet.iter_rows())
    print(f"{time.perf_counter() - started:.3f} {rss_mb():.0f} {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--grids", type=int, default=12)
    parser.add_argument("--seed", type=int, default=20200124)
    parser.add_argument("--xlsx", help="keep the generated ledger here (reused if it exists with the same --rows)")
    parser.add_argument("--bare-read", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_read:
        bare_read(args.bare_read)
        return

    data_dir = Path(tempfile.mkdtemp(prefix="lianfang-import-bench-"))
    os.environ["LIANFANG_DATA"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "lianfang.settings"
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ.pop("DATABASE_URL", None)

    import django

    django.setup()
    from django.conf import settings
    from django.core.files import File
    from django.core.management import call_command

    from lianfang.core.audit import COMMAND
    from lianfang.core.models import Level, OrgUnit, User
    from lianfang.core.roles import Role
    from lianfang.registry.importing import import_job_create
    from lianfang.registry.models import Household, ImportJob, Resident

    settings.IMPORT_MAX_BYTES = 10**10
    call_command("migrate", verbosity=0)
    district = OrgUnit.objects.create(name="基准区", level=Level.DISTRICT, code="B")
    grids = []
    for s in range(2):
        street = OrgUnit.objects.create(name=f"第{s + 1}街道", level=Level.STREET, parent=district, code=f"B-{s + 1}")
        for c in range(2):
            community = OrgUnit.objects.create(name=f"第{s + 1}街道{c + 1}社区", level=Level.COMMUNITY, parent=street,
                                               code=f"{street.code}-{c + 1}")
            for g in range(args.grids // 4):
                grids.append(OrgUnit.objects.create(name=f"{community.name}第{g + 1}网格", level=Level.GRID,
                                                    parent=community, code=f"{community.code}-{g + 1:02d}"))
    office = User.objects.create_user(username="office", role=Role.DISTRICT_OFFICE, jurisdiction=district)

    ledger = Path(args.xlsx) if args.xlsx else data_dir / "ledger.xlsx"
    stamp = ledger.with_suffix(".rows")
    if not (ledger.exists() and stamp.exists() and stamp.read_text() == f"{args.rows} {args.seed} {args.grids}"):
        started = time.perf_counter()
        ledger_write(ledger, rows=args.rows, grids=[g.name for g in grids], seed=args.seed)
        stamp.write_text(f"{args.rows} {args.seed} {args.grids}")
        print(f"generated {ledger} ({ledger.stat().st_size / 1048576:.1f} MB) in {time.perf_counter() - started:.1f} s")

    child = subprocess.run([sys.executable, __file__, "--bare-read", str(ledger)], capture_output=True, text=True, check=True)
    bare_seconds, bare_mb, _rows = child.stdout.split()
    bare = float(bare_seconds)

    before = rss_mb()
    started = time.perf_counter()
    with open(ledger, "rb") as f:
        job = import_job_create(actor=office, upload=File(f, name="花名册.xlsx"), via=COMMAND)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    peak = rss_mb()

    assert job.status == ImportJob.Status.DONE, (job.status, job.message, list(job.issues.values_list("row", "reason")[:5]))
    assert Resident.objects.count() == args.rows
    print(f"rows:            {args.rows}")
    print(f"status:          {job.status} ({job.residents_created} residents, {Household.objects.count()} households, "
          f"{OrgUnit.objects.count() - 1 - len(grids) - 6} places created)")
    print(f"import:          {seconds:.2f} s, {args.rows / seconds:,.0f} rows/s")
    print(f"bare read:       {bare:.2f} s (python-calamine, {float(bare_mb):.0f} MB peak)")
    print(f"ratio:           {seconds / bare:.1f}x the bare read")
    print(f"peak memory:     {peak:.0f} MB (process, {before:.0f} MB before the import)")
    shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
