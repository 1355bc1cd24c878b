"""SOQL parsing and evaluation over an in-memory Database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from providers.emulator.soql import (
    ChildRel,
    FieldInfo,
    ObjectSchema,
    ParentRel,
    QueryResult,
    SoqlError,
    execute,
    parse,
)

BASE = "/services/data/v62.0"
TOOLING = f"{BASE}/tooling"
ADMIN, SALES = "00e000000000001AAA", "00e000000000002AAA"
ALICE, BOB, CAROL = "005000000000001AAA", "005000000000002AAA", "005000000000003AAA"
PS_ADMIN, PS_OPS, PS_GROUP = "0PS000000000001AAA", "0PS000000000002AAA", "0PS000000000003AAA"
GROUP = "0PG000000000001AAA"


def _schema(
    name: str, fields: dict[str, str], parents: Iterable[ParentRel] = (), children: Iterable[ChildRel] = ()
) -> ObjectSchema:
    return ObjectSchema.of(name, [FieldInfo(n, t) for n, t in fields.items()], parents, children)


SCHEMAS = [
    _schema("Profile", {"Id": "id", "Name": "string"}),
    _schema(
        "User",
        {
            "Id": "id",
            "Username": "string",
            "IsActive": "boolean",
            "ProfileId": "reference",
            "CreatedDate": "datetime",
        },
        [ParentRel("Profile", "ProfileId", "Profile")],
        [ChildRel("PermissionSetAssignments", "PermissionSetAssignment", "AssigneeId")],
    ),
    _schema(
        "PermissionSet",
        {
            "Id": "id",
            "Name": "string",
            "IsOwnedByProfile": "boolean",
            "ProfileId": "reference",
            "NamespacePrefix": "string",
        },
        [ParentRel("Profile", "ProfileId", "Profile")],
    ),
    _schema("PermissionSetGroup", {"Id": "id", "DeveloperName": "string"}),
    _schema(
        "PermissionSetAssignment",
        {
            "Id": "id",
            "AssigneeId": "reference",
            "PermissionSetId": "reference",
            "PermissionSetGroupId": "reference",
            "ExpirationDate": "date",
        },
        [
            ParentRel("Assignee", "AssigneeId", "User"),
            ParentRel("PermissionSet", "PermissionSetId", "PermissionSet"),
            ParentRel("PermissionSetGroup", "PermissionSetGroupId", "PermissionSetGroup"),
        ],
    ),
    _schema("CustomField", {"Id": "id", "DeveloperName": "string", "FullName": "string", "Metadata": "anyType"}),
    _schema("Account", {"Id": "id", "Name": "string", "Employees__c": "double"}),
]


def _rows() -> dict[str, list[dict[str, Any]]]:
    return {
        "Profile": [{"Id": ADMIN, "Name": "System Administrator"}, {"Id": SALES, "Name": "Sales User"}],
        "User": [
            {
                "Id": ALICE,
                "Username": "alice@acme.com",
                "IsActive": True,
                "ProfileId": SALES,
                "CreatedDate": "2024-01-02T10:00:00.000+0000",
            },
            {
                "Id": BOB,
                "Username": "Bob@Acme.com",
                "IsActive": False,
                "ProfileId": ADMIN,
                "CreatedDate": "2023-06-01T08:30:00.000+0000",
            },
            {
                "Id": CAROL,
                "Username": "carol_x@acme.com",
                "IsActive": True,
                "ProfileId": None,
                "CreatedDate": None,
            },
        ],
        "PermissionSet": [
            {
                "Id": PS_ADMIN,
                "Name": "X00e01",
                "IsOwnedByProfile": True,
                "ProfileId": ADMIN,
                "NamespacePrefix": None,
            },
            {
                "Id": PS_OPS,
                "Name": "Sales_Ops",
                "IsOwnedByProfile": False,
                "ProfileId": None,
                "NamespacePrefix": "acme",
            },
            {
                "Id": PS_GROUP,
                "Name": "Bundle_Agg",
                "IsOwnedByProfile": False,
                "ProfileId": None,
                "NamespacePrefix": None,
            },
        ],
        "PermissionSetGroup": [{"Id": GROUP, "DeveloperName": "Sales_Bundle"}],
        "PermissionSetAssignment": [
            {
                "Id": "0Pa000000000001AAA",
                "AssigneeId": BOB,
                "PermissionSetId": PS_ADMIN,
                "PermissionSetGroupId": None,
                "ExpirationDate": None,
            },
            {
                "Id": "0Pa000000000002AAA",
                "AssigneeId": ALICE,
                "PermissionSetId": PS_OPS,
                "PermissionSetGroupId": None,
                "ExpirationDate": "2030-01-31",
            },
            {
                "Id": "0Pa000000000003AAA",
                "AssigneeId": ALICE,
                "PermissionSetId": PS_GROUP,
                "PermissionSetGroupId": GROUP,
                "ExpirationDate": None,
            },
        ],
        "CustomField": [
            {
                "Id": "00N000000000001AAA",
                "DeveloperName": "Tier",
                "FullName": "Account.Tier__c",
                "Metadata": {
                    "label": "Tier",
                    "valueSet": {"valueSetDefinition": {"value": [{"valueName": "Gold"}]}},
                },
            },
            {
                "Id": "00N000000000002AAA",
                "DeveloperName": "Region",
                "FullName": "Account.Region__c",
                "Metadata": {"label": "Region"},
            },
        ],
        "Account": [],
    }


class MemoryDb:
    """A Database over plain dicts."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]], schemas: list[ObjectSchema] = SCHEMAS) -> None:
        self.tables = rows
        self.schemas = {schema.name.lower(): schema for schema in schemas}

    def schema(self, sobject: str) -> ObjectSchema | None:
        return self.schemas.get(sobject.lower())

    def rows(self, sobject: str) -> Iterable[Mapping[str, Any]]:
        return self.tables[sobject]

    def get(self, sobject: str, record_id: str) -> Mapping[str, Any] | None:
        return next((row for row in self.tables[sobject] if row["Id"][:15] == record_id[:15]), None)


def run(soql: str, base_path: str = BASE, db: MemoryDb | None = None) -> QueryResult:
    return execute(parse(soql), db or MemoryDb(_rows()), base_path=base_path)


def records(soql: str) -> list[dict[str, Any]]:
    return run(soql).records


def ids(soql: str) -> list[str]:
    return [record["Id"] for record in records(soql)]


def error(soql: str, base_path: str = BASE) -> SoqlError:
    with pytest.raises(SoqlError) as caught:
        run(soql, base_path)
    return caught.value


# --- projection -------------------------------------------------------------------------------------


def test_records_have_attributes_and_only_selected_fields_in_schema_spelling() -> None:
    assert records(f"select username, isactive from USER where id = '{ALICE}'") == [
        {
            "attributes": {"type": "User", "url": f"{BASE}/sobjects/User/{ALICE}"},
            "Username": "alice@acme.com",
            "IsActive": True,
        }
    ]


def test_parent_paths_nest_with_their_own_attributes_and_null_lookups_are_null() -> None:
    rows = records(
        "SELECT Id, Assignee.Username, PermissionSet.Name, PermissionSet.Profile.Name, "
        "PermissionSetGroup.DeveloperName FROM PermissionSetAssignment ORDER BY Id"
    )
    assert rows[0]["Assignee"] == {
        "attributes": {"type": "User", "url": f"{BASE}/sobjects/User/{BOB}"},
        "Username": "Bob@Acme.com",
    }
    assert rows[0]["PermissionSet"]["Profile"] == {
        "attributes": {"type": "Profile", "url": f"{BASE}/sobjects/Profile/{ADMIN}"},
        "Name": "System Administrator",
    }
    assert rows[0]["PermissionSetGroup"] is None
    assert rows[1]["PermissionSet"] == {
        "attributes": {"type": "PermissionSet", "url": f"{BASE}/sobjects/PermissionSet/{PS_OPS}"},
        "Name": "Sales_Ops",
        "Profile": None,
    }
    assert rows[2]["PermissionSetGroup"]["DeveloperName"] == "Sales_Bundle"
    assert list(rows[0]) == ["attributes", "Id", "Assignee", "PermissionSet", "PermissionSetGroup"]


def test_child_subquery_gives_a_nested_result_or_null() -> None:
    rows = records(
        "SELECT Username, (SELECT PermissionSet.Name FROM PermissionSetAssignments "
        "WHERE PermissionSet.IsOwnedByProfile = false ORDER BY PermissionSet.Name DESC) "
        "FROM User ORDER BY Username"
    )
    alice, bob, carol = rows
    assert alice["PermissionSetAssignments"]["totalSize"] == 2
    assert alice["PermissionSetAssignments"]["done"] is True
    assert [r["PermissionSet"]["Name"] for r in alice["PermissionSetAssignments"]["records"]] == [
        "Sales_Ops",
        "Bundle_Agg",
    ]
    assert alice["PermissionSetAssignments"]["records"][0]["attributes"]["type"] == "PermissionSetAssignment"
    assert bob["PermissionSetAssignments"] is None
    assert carol["PermissionSetAssignments"] is None


def test_child_subquery_limit() -> None:
    rows = records(f"SELECT Id, (SELECT Id FROM PermissionSetAssignments LIMIT 1) FROM User WHERE Id = '{ALICE}'")
    assert rows[0]["PermissionSetAssignments"]["totalSize"] == 1


def test_any_type_values_come_back_as_stored_and_are_copies() -> None:
    db = MemoryDb(_rows())
    result = execute(parse("SELECT Metadata FROM CustomField WHERE DeveloperName = 'Tier'"), db, base_path=TOOLING)
    metadata = result.records[0]["Metadata"]
    assert metadata["valueSet"]["valueSetDefinition"]["value"] == [{"valueName": "Gold"}]
    assert result.records[0]["attributes"]["url"] == f"{TOOLING}/sobjects/CustomField/00N000000000001AAA"
    metadata["label"] = "changed"
    assert db.tables["CustomField"][0]["Metadata"]["label"] == "Tier"


def test_tooling_refuses_metadata_over_more_than_one_row() -> None:
    failure = error("SELECT Id, Metadata FROM CustomField", TOOLING)
    assert failure.code == "MALFORMED_QUERY"
    assert failure.message.startswith("When retrieving results with Metadata or FullName fields")
    assert failure.message.endswith("Result size: 2")
    assert run("SELECT Id, FullName FROM CustomField LIMIT 1", TOOLING).total_size == 1


def test_count_returns_only_the_size() -> None:
    result = run("SELECT COUNT() FROM User WHERE IsActive = true")
    assert (result.is_count, result.total_size, result.records) == (True, 2, [])
    assert run("select count() from PermissionSetAssignment limit 2").total_size == 2


def test_count_of_a_field_is_an_aggregate_result() -> None:
    assert records("SELECT COUNT(ProfileId) FROM User") == [{"attributes": {"type": "AggregateResult"}, "expr0": 2}]
    assert records("SELECT COUNT(Id) total FROM User")[0]["total"] == 3


# --- filtering --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Username = 'BOB@acme.COM'", [BOB]),
        ("Username != 'bob@acme.com'", [ALICE, CAROL]),
        ("Username <> 'bob@acme.com'", [ALICE, CAROL]),
        ("IsActive = false", [BOB]),
        ("ProfileId = null", [CAROL]),
        ("ProfileId != null", [ALICE, BOB]),
        (f"ProfileId != '{ADMIN}'", [ALICE, CAROL]),
        ("Profile.Name = 'sales user'", [ALICE]),
        ("Username IN ('ALICE@acme.com', 'nobody@x.com', 'carol_x@acme.com')", [ALICE, CAROL]),
        ("Username NOT IN ('alice@acme.com')", [BOB, CAROL]),
        ("Username LIKE 'a%'", [ALICE]),
        ("Username LIKE '%@ACME.com'", [ALICE, BOB, CAROL]),
        ("Username LIKE '_ob@%'", [BOB]),
        ("Username LIKE 'carol\\_x%'", [CAROL]),
        ("Username LIKE 'carol\\%%'", []),
        ("NOT Username LIKE 'a%'", [BOB, CAROL]),
        ("IsActive = true AND Username LIKE 'c%'", [CAROL]),
        ("IsActive = false OR Username LIKE 'c%'", [BOB, CAROL]),
        ("(IsActive = false OR Username LIKE 'c%') AND ProfileId = null", [CAROL]),
        ("NOT (IsActive = true)", [BOB]),
        ("CreatedDate > 2023-12-31T23:59:59Z", [ALICE]),
        ("CreatedDate <= 2023-06-01T08:30:00+00:00", [BOB]),
        ("CreatedDate < 2024-01-02T12:00:00+0100", [BOB, ALICE]),
        ("CreatedDate >= 2000-01-01T00:00:00Z", [BOB, ALICE]),
        ("Username > 'b'", [BOB, CAROL]),
        (f"Id = '{ALICE[:15]}'", [ALICE]),
        ("Username = ''", []),
        (
            "Id IN (SELECT AssigneeId FROM PermissionSetAssignment WHERE PermissionSetGroupId != null)",
            [ALICE],
        ),
        ("Id NOT IN (SELECT AssigneeId FROM PermissionSetAssignment)", [CAROL]),
    ],
)
def test_where(where: str, expected: list[str]) -> None:
    order = " ORDER BY CreatedDate" if "CreatedDate" in where else ""
    assert ids(f"SELECT Id FROM User WHERE {where}{order}") == expected


def test_dates_and_date_literals() -> None:
    assert ids("SELECT Id FROM PermissionSetAssignment WHERE ExpirationDate > 2030-01-01") == ["0Pa000000000002AAA"]
    assert ids("SELECT Id FROM PermissionSetAssignment WHERE ExpirationDate > TODAY") == ["0Pa000000000002AAA"]
    assert ids("SELECT Id FROM User WHERE CreatedDate = today") == []
    assert ids("SELECT Id FROM User WHERE CreatedDate < YESTERDAY ORDER BY Username") == [ALICE, BOB]


def test_numbers_compare_numerically() -> None:
    db = MemoryDb(
        {
            **_rows(),
            "Account": [
                {"Id": "001000000000001AAA", "Name": "A", "Employees__c": 9.0},
                {"Id": "001000000000002AAA", "Name": "B", "Employees__c": 10},
            ],
        }
    )
    result = execute(parse("SELECT Name FROM Account WHERE Employees__c >= 9.5"), db, base_path=BASE)
    assert [r["Name"] for r in result.records] == ["B"]


def test_string_escapes() -> None:
    rows = _rows()
    rows["Profile"].append({"Id": "00e000000000003AAA", "Name": "O'Brien \\ Co\nLine"})
    db = MemoryDb(rows)
    result = execute(parse("SELECT Id FROM Profile WHERE Name = 'o\\'brien \\\\ co\\nline'"), db, base_path=BASE)
    assert result.total_size == 1


@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=30))
def test_any_name_can_be_queried_by_escaped_literal(name: str) -> None:
    rows = _rows()
    rows["Profile"] = [{"Id": ADMIN, "Name": name}]
    escaped = name.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    result = execute(parse(f"SELECT Name FROM Profile WHERE Name = '{escaped}'"), MemoryDb(rows), base_path=BASE)
    assert [r["Name"] for r in result.records] == [name]


# --- order, limit, offset ---------------------------------------------------------------------------


def test_order_by_several_keys_directions_and_nulls() -> None:
    assert ids("SELECT Id FROM User ORDER BY IsActive DESC, Username") == [ALICE, CAROL, BOB]
    assert ids("SELECT Id FROM User ORDER BY Profile.Name") == [CAROL, ALICE, BOB]
    assert ids("SELECT Id FROM User ORDER BY Profile.Name NULLS LAST") == [ALICE, BOB, CAROL]
    assert ids("SELECT Id FROM User ORDER BY Profile.Name DESC") == [BOB, ALICE, CAROL]
    assert ids("SELECT Id FROM User ORDER BY Profile.Name DESC NULLS FIRST") == [CAROL, BOB, ALICE]
    assert ids("SELECT Id FROM User ORDER BY Username ASC") == [ALICE, BOB, CAROL]


def test_limit_and_offset() -> None:
    assert ids("SELECT Id FROM User ORDER BY Username LIMIT 2") == [ALICE, BOB]
    assert ids("SELECT Id FROM User ORDER BY Username LIMIT 1 OFFSET 1") == [BOB]
    assert ids("SELECT Id FROM User ORDER BY Username OFFSET 2") == [CAROL]


def test_object_named_like_a_keyword_and_names_containing_keywords() -> None:
    order = _schema("Order", {"Id": "id", "Selected": "boolean"})
    db = MemoryDb({"Order": [{"Id": "801000000000001AAA", "Selected": True}]}, [order])
    result = execute(parse("SELECT Selected FROM Order WHERE Selected = TRUE ORDER BY Selected"), db, base_path=BASE)
    assert result.records[0]["Selected"] is True


def test_in_with_a_thousand_values_over_five_thousand_rows_matches_case_insensitively() -> None:
    users = [{"Id": f"005{n:012d}AAA", "Username": f"user{n}@acme.com", "IsActive": True} for n in range(5000)]
    db = MemoryDb({**_rows(), "User": users})
    wanted = ", ".join(f"'USER{n}@acme.com'" for n in range(0, 5000, 5))
    result = execute(parse(f"SELECT Id, Username FROM User WHERE Username IN ({wanted})"), db, base_path=BASE)
    assert result.total_size == 1000
    assert {record["Username"] for record in result.records} == {f"user{n}@acme.com" for n in range(0, 5000, 5)}


# --- errors -----------------------------------------------------------------------------------------


def test_unknown_column_is_invalid_field_with_salesforce_wording() -> None:
    failure = error("SELECT Foo FROM User")
    assert failure.code == "INVALID_FIELD"
    assert failure.message == (
        "\nSELECT Foo FROM User\n       ^\nERROR at Row:1:Column:8\nNo such column 'Foo' on entity 'User'. "
        "If you are attempting to use a custom field, be sure to append the '__c' after the custom field "
        "name. Please reference your WSDL or the describe call for the appropriate names."
    )


def test_unknown_column_at_the_end_of_a_path_names_the_parent_entity() -> None:
    failure = error("SELECT Id, Assignee.Foo FROM PermissionSetAssignment")
    assert failure.code == "INVALID_FIELD"
    assert "ERROR at Row:1:Column:12\nNo such column 'Foo' on entity 'User'." in failure.message


def test_unknown_field_in_where_and_order_by() -> None:
    assert "No such column 'Nope'" in error("SELECT Id FROM User WHERE Nope = 1").message
    assert "Row:2:Column:10" in error("SELECT Id FROM User\nORDER BY Nope").message


def test_unknown_relationship() -> None:
    failure = error("SELECT Owner.Name FROM User")
    assert failure.code == "INVALID_FIELD"
    assert "Didn't understand relationship 'Owner' in field path." in failure.message
    assert "append the '__r' after the custom relationship name" in failure.message


def test_unknown_child_relationship() -> None:
    failure = error("SELECT Id, (SELECT Id FROM Contacts) FROM User")
    assert failure.code == "INVALID_TYPE"
    assert "Didn't understand relationship 'Contacts' in FROM part of query call." in failure.message


def test_unknown_object_is_invalid_type() -> None:
    failure = error("SELECT Id FROM Foo")
    assert failure.code == "INVALID_TYPE"
    assert failure.message.startswith("\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\n")
    assert "sObject type 'Foo' is not supported." in failure.message


@pytest.mark.parametrize(
    ("soql", "token", "column"),
    [
        ("SELECT Id FROM User WHERE", "<EOF>", 26),
        ("SELECT Id User", "User", 11),
        ("SELECT Id FROM User WHERE Username = alice", "alice", 38),
        ("SELECT Id FROM User LIMIT ten", "ten", 27),
        ("SELECT Id FROM User WHERE IsActive = true AND Username = 'a' OR Username = 'b'", "OR", 62),
        ("SELECT Id FROM User GROUP BY Id", "GROUP", 21),
        ('SELECT Id FROM User WHERE Username = "x"', '"x"', 38),
    ],
)
def test_syntax_errors_are_malformed_query(soql: str, token: str, column: int) -> None:
    failure = error(soql)
    assert failure.code == "MALFORMED_QUERY"
    assert failure.message.endswith(f"\nERROR at Row:1:Column:{column}\nunexpected token: '{token}'")
    assert failure.message.startswith(f"\n{soql}\n{' ' * (column - 1)}^\n")


def test_bad_escape_is_malformed_query() -> None:
    failure = error("SELECT Id FROM User WHERE Username = 'a\\qb'")
    assert failure.code == "MALFORMED_QUERY"
    assert "Illegal character sequence '\\q' in string literal." in failure.message


@pytest.mark.parametrize(
    ("where", "detail"),
    [
        (
            "IsActive = 'true'",
            "field 'IsActive' must be of type boolean and should not be enclosed in quotes",
        ),
        ("Username = 5", "field 'Username' must be of type string and should be enclosed in quotes"),
        (
            "CreatedDate > 2024-01-01",
            "field 'CreatedDate' must be of type dateTime and should not be enclosed",
        ),
    ],
)
def test_literal_of_the_wrong_type_is_invalid_field(where: str, detail: str) -> None:
    failure = error(f"SELECT Id FROM User WHERE {where}")
    assert failure.code == "INVALID_FIELD"
    assert f"value of filter criterion for {detail}" in failure.message


def test_malformed_id_literal() -> None:
    failure = error("SELECT Id FROM User WHERE Id = 'abc'")
    assert failure.code == "INVALID_QUERY_FILTER_OPERATOR"
    assert failure.message.endswith("invalid ID field: abc")


def test_structured_fields_cannot_be_filtered() -> None:
    failure = error("SELECT Id FROM CustomField WHERE Metadata = null", TOOLING)
    assert failure.code == "INVALID_FIELD"
    assert failure.message.endswith("field 'Metadata' can not be filtered in a query call")


@pytest.mark.parametrize(
    ("soql", "code", "message"),
    [
        ("SELECT Id, id FROM User", "MALFORMED_QUERY", "duplicate field selected: id"),
        (
            "SELECT COUNT(), Id FROM User",
            "MALFORMED_QUERY",
            "COUNT() must be the only element in the SELECT list.",
        ),
        (
            "SELECT Id FROM User OFFSET 2001",
            "NUMBER_OUTSIDE_VALID_RANGE",
            "Maximum SOQL offset allowed is 2000",
        ),
    ],
)
def test_select_list_rules(soql: str, code: str, message: str) -> None:
    failure = error(soql)
    assert (failure.code, failure.message) == (code, message)


def test_aggregate_mixed_with_plain_field_needs_grouping() -> None:
    failure = error("SELECT Username, COUNT(Id) FROM User")
    assert failure.code == "MALFORMED_QUERY"
    assert failure.message.endswith("Field must be grouped or aggregated: Username")


def test_names_are_checked_even_when_no_row_matches() -> None:
    assert error("SELECT Bogus FROM Account").code == "INVALID_FIELD"


def test_schema_lookups_tolerate_keys_that_are_not_lower_cased() -> None:
    schema = ObjectSchema("Thing", {"Name": FieldInfo("Name", "string"), "Id": FieldInfo("Id", "id")})
    db = MemoryDb({"Thing": [{"Id": "a00000000000001AAA", "Name": "x"}]}, [schema])
    assert execute(parse("SELECT name FROM thing"), db, base_path=BASE).records[0]["Name"] == "x"
