"""The registry: townships, villages, households, people and members, role assignments, roster files, settings.

Other domains read and change the registry only through what this module exports: the functions below, and the
model classes as types (to annotate a parameter; a query of another domain never selects from them).
"""

from backend.registry import settings
from backend.registry.households import create_household, household_by_number
from backend.registry.models import Household, Member, Person, RoleAssignment, Township, Village
from backend.registry.people import (
    MemberInput,
    add_member,
    add_members,
    add_staff_person,
    find_people_by_phone,
    find_people_for_bind,
    identity_key,
    person_by_id_card,
    update_member,
    validate_id_card_or_422,
)
from backend.registry.places import (
    all_villages,
    ensure_township,
    ensure_village,
    get_township,
    get_village,
    places_of,
    township_by_code,
    village_by_code,
    villages_of_township,
)
from backend.registry.principals import PRINCIPAL_COLUMNS, load_principal, principal_of, principal_stmt
from backend.registry.roles import DERIVED_ROLES, end_role, grant_role, people_with_roles
from backend.registry.schemas import PlaceSchema
from backend.registry.service import (
    HouseholdBrief,
    MemberBrief,
    RosterEntry,
    birth_dates,
    household_ids_by_number,
    households_brief,
    members_brief,
    members_id_last4,
    person_name_select,
    person_names,
    place_name_select,
    roster_entry,
    roster_people,
    roster_person_ids,
    township_names,
    village_names,
)

__all__ = [
    "DERIVED_ROLES",
    "PRINCIPAL_COLUMNS",
    "Household",
    "HouseholdBrief",
    "Member",
    "MemberBrief",
    "MemberInput",
    "Person",
    "PlaceSchema",
    "RoleAssignment",
    "RosterEntry",
    "Township",
    "Village",
    "add_member",
    "add_members",
    "add_staff_person",
    "all_villages",
    "birth_dates",
    "create_household",
    "end_role",
    "ensure_township",
    "ensure_village",
    "find_people_by_phone",
    "find_people_for_bind",
    "get_township",
    "get_village",
    "grant_role",
    "household_by_number",
    "household_ids_by_number",
    "households_brief",
    "identity_key",
    "load_principal",
    "members_brief",
    "members_id_last4",
    "people_with_roles",
    "person_by_id_card",
    "person_name_select",
    "person_names",
    "place_name_select",
    "places_of",
    "principal_of",
    "principal_stmt",
    "roster_entry",
    "roster_people",
    "roster_person_ids",
    "settings",
    "township_by_code",
    "township_names",
    "update_member",
    "validate_id_card_or_422",
    "village_by_code",
    "village_names",
    "villages_of_township",
]
