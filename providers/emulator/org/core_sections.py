"""The seed sections the org builder (``org/seed.py``) loads itself: the organization, profiles,
permission sets and groups, users, value sets, permission set assignments and deleted ids.

Each is a ``SeedSection`` (``org/sections.py``): the one description of the section, from which the seed
schema, docs/emulator-seeds.md and the seed check are made. Keep it in step with ``seed.py``.
"""

from __future__ import annotations

from .sections import Schema, SeedSection, anything, either, entry, flag, listing, number, one_of_values, text

#: What a permission set or group may carry that forbids an expiring assignment (``access_rows.ADMIN_PERMISSIONS``).
PERMISSIONS = listing(
    "Admin permissions it holds; a set or group holding one cannot be assigned with an expiry.",
    one_of_values("A permission.", ("ManageUsers", "AssignPermissionSets", "ManageProfilesPermissionsets")),
)

VALUE = either(
    "A value: its name, or an object with its name and more.",
    text("The value's API name (its label is the same)."),
    entry(
        "A value with its label and flags.",
        ("name",),
        name=text("The value's API name."),
        label=text("What users see; the name when left out."),
        default=flag("Whether it is the default value.", default=False),
        active=flag("Whether users can pick it (an inactive value is kept, not offered).", default=True),
        color=text("A colour such as #FF0000."),
        description=text("A description."),
    ),
)
VALUES = listing("The values, in order.", VALUE)

SCHEMA_VERSION = SeedSection(
    "schema_version",
    "The version of the seed format; `1`, the only one, when left out.",
    number("The seed format version (1).", default=1, minimum=1),
)

ORGANIZATION = SeedSection(
    "organization",
    "The org itself (the `Organization` record). Every key is optional.",
    entry(
        "The org.",
        name=text("The org's name; also part of every minted id.", default="Emulated Org"),
        is_sandbox=flag("Whether the org is a sandbox.", default=False),
        organization_type=text("`OrganizationType`.", default="Developer Edition"),
        instance_name=text("`InstanceName`.", default="EMU1"),
        namespace_prefix=text("The org's own namespace, if any."),
        daily_api_limit=number("The daily API request limit the org reports.", default=15000, minimum=0),
        session_timeout_minutes=number(
            "How long a session may stay idle before it expires (Setup > Session Settings).", default=120, minimum=1
        ),
        id=text("", live=True),
    ),
)

PROFILES = SeedSection(
    "profiles",
    "Profiles. Each gets its profile-owned permission set, as in a real org.",
    listing(
        "The profiles.",
        entry(
            "A profile.",
            ("name",),
            name=text("The profile's `Name` (what users and the configuration write)."),
            full_name=text(
                "Its Metadata API fullName; the standard mapping (`System Administrator` -> `Admin`) or the "
                "name when left out."
            ),
            user_type=text("`UserType`.", default="Standard"),
            user_license=text("The name of its user licence (a `UserLicense`).", default="Salesforce"),
            description=text("A description."),
            id=text("", live=True),
            permission_set_id=text("", live=True),
        ),
    ),
)

PERMISSION_SETS = SeedSection(
    "permission_sets",
    "Permission sets that are not owned by a profile or group.",
    listing(
        "The permission sets.",
        entry(
            "A permission set.",
            ("name",),
            name=text("Its API name; `ns__Name` for a managed one."),
            label=text("Its label; the name when left out."),
            description=text("A description."),
            user_license=text(
                "The user licence it requires; only users whose profile has that licence can be assigned it."
            ),
            permission_set_license=text(
                "The `developer_name` of one of `$.permission_set_licenses` it requires (instead of a user "
                "licence); only users holding that licence can be assigned it."
            ),
            permissions=PERMISSIONS,
            id=text("", live=True),
        ),
    ),
)

PERMISSION_SET_GROUPS = SeedSection(
    "permission_set_groups",
    "Permission set groups. Each gets its aggregate permission set, as in a real org.",
    listing(
        "The permission set groups.",
        entry(
            "A permission set group.",
            ("developer_name",),
            developer_name=text("Its developer name; `ns__Name` for a managed one."),
            label=text("Its label; the developer name when left out."),
            description=text("A description."),
            status=one_of_values(
                "Its recalculation `Status`; only an `Updated` group can be assigned.",
                ("Updated", "Outdated", "Updating", "Failed"),
                default="Updated",
            ),
            permissions=PERMISSIONS,
            id=text("", live=True),
            permission_set_id=text("", live=True),
        ),
    ),
)

USERS = SeedSection(
    "users",
    "Users. Each is assigned its profile's permission set.",
    listing(
        "The users.",
        entry(
            "A user.",
            ("username", "profile"),
            username=text("The username (with the org's suffix, as the org holds it)."),
            profile=text("The `name` of one of `$.profiles`."),
            first_name=text("First name."),
            last_name=text("Last name; the part of the username before `@` when left out."),
            email=text("Email; the username when left out."),
            alias=text("Alias; the first 8 characters of the username when left out."),
            active=flag("Whether the user is active.", default=True),
            id=text("", live=True),
            profile_assignment_id=text("", live=True),
        ),
    ),
)

_VALUE_SET = {
    "name": text("The value set's API name."),
    "sorted": flag("Whether the values are sorted alphabetically.", default=False),
    "values": VALUES,
    "metadata": anything("The whole Tooling `Metadata` instead of `values` (the live org file writes it)."),
    "id": text("", live=True),
}


def _value_set(doc: str, **extra: Schema) -> Schema:
    schema = entry(doc, ("name",))
    schema["properties"] = {**_VALUE_SET, **extra}
    return schema


GLOBAL_VALUE_SETS = SeedSection(
    "global_value_sets",
    "Global value sets (`gvs:NAME` in the configuration).",
    listing(
        "The global value sets.",
        _value_set(
            "A global value set.",
            label=text("Its label; the name when left out."),
            description=text("A description."),
        ),
    ),
)

STANDARD_VALUE_SETS = SeedSection(
    "standard_value_sets",
    "Standard value sets (`svs:NAME` in the configuration), such as `Industry`.",
    listing("The standard value sets.", _value_set("A standard value set.")),
)

PERMISSION_SET_ASSIGNMENTS = SeedSection(
    "permission_set_assignments",
    "Assignments of permission sets and groups to users (profile assignments are made by `users`).",
    listing(
        "The assignments.",
        entry(
            "An assignment: `permission_set` or `permission_set_group`.",
            ("username",),
            username=text("The `username` of one of `$.users`."),
            permission_set=text("The `name` of one of `$.permission_sets`."),
            permission_set_group=text("The `developer_name` of one of `$.permission_set_groups`."),
            expiration_date=text("When the assignment expires: a date (`YYYY-MM-DD`, midnight UTC) or a dateTime."),
            id=text("", live=True),
        ),
    ),
)

DELETED = SeedSection(
    "deleted",
    "Ids of records deleted while the emulator ran (the live org file keeps them); leave it out of a seed.",
    anything("Deleted ids by table."),
)
