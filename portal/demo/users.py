"""Demo staff accounts: one per role, plus coordinators spread over the wards."""

from portal.models import Role, User, Ward
from portal.registry import DemoContext

STAFF = [
    ("coordinator", Role.COORDINATOR, "13101", "千代田 みどり"),
    ("approver", Role.APPROVER, "13101", "中央 健一"),
    ("evaluator", Role.EVALUATOR, None, "港 さくら"),
    ("admin", Role.ADMIN, None, "新宿 太郎"),
]
# Extra coordinators so caseload and the 23-ward overview have something to show.
EXTRA_COORDINATOR_WARDS = ["13104", "13105", "13109", "13111", "13112", "13113", "13116", "13121"]
# 所属部署: shown to partners as the ward contact on a proposal.
DEPARTMENTS: dict[str, str] = {
    Role.COORDINATOR: "地域振興部 協働推進課",
    Role.APPROVER: "政策経営部 企画課",
    Role.EVALUATOR: "政策経営部 評価担当",
    Role.ADMIN: "情報システム課",
}
COORDINATOR_NAMES = [
    "佐藤 由美",
    "鈴木 大輔",
    "高橋 直子",
    "田中 翔",
    "伊藤 恵",
    "渡辺 誠",
    "山本 彩",
    "中村 亮",
]


def load(ctx: DemoContext) -> None:
    wards: dict[str | None, Ward] = {w.code: w for w in Ward.objects.all()}
    for username, role, ward_code, name in STAFF:
        _user(ctx, username, role, wards.get(ward_code), name, note="")
        ctx.accounts.append((str(Role(role).label), username, ""))
    for index, code in enumerate(EXTRA_COORDINATOR_WARDS):
        _user(
            ctx,
            f"coordinator{index + 2}",
            Role.COORDINATOR,
            wards[code],
            COORDINATOR_NAMES[index],
            note="",
        )


def _user(ctx: DemoContext, username: str, role: str, ward: Ward | None, name: str, note: str):
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "role": role,
            "ward": ward,
            "display_name": name,
            "email": f"{username}@demo.city.tokyo.jp",
            "department": DEPARTMENTS.get(role, ""),
        },
    )
    if created:
        user.password = ctx.password_hash
        if role == Role.ADMIN:
            user.is_staff = user.is_superuser = True
        user.save()
    return user
