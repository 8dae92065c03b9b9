"""System checks of the GA4 plugin (``analytics_ga4.E...`` / ``W...``)."""

from __future__ import annotations

from django.core.checks import CheckMessage, Error, Warning

from marketplace_analytics_ga4.conf import (
    LIMITS,
    MEASUREMENT_ID_RE,
    NAME,
    PROPERTY_ID_RE,
    positive_number,
)
from marketplace_analytics_ga4.credentials import CredentialsError, service_account
from marketplace_core.conf import conf as core_conf

_OPTION = f"MARKETPLACE['{NAME}']"


def check_settings() -> list[CheckMessage]:
    problem = core_conf.plugin_options_problem(NAME)
    if problem:
        return [Error(problem, id="analytics_ga4.E007")]
    raw = core_conf.plugin(NAME)
    errors: list[CheckMessage] = []
    property_id = str(raw.get("PROPERTY_ID") or "").strip().removeprefix("properties/")
    credentials = str(raw.get("CREDENTIALS") or "").strip()
    if not property_id:
        errors.append(Warning(
            f"{_OPTION}['PROPERTY_ID'] is not set: the seller dashboard shows no traffic.",
            hint="The GA4 property's numeric id (Admin > Property details), from the "
                 "GA4_PROPERTY_ID environment variable.",
            id="analytics_ga4.W001",
        ))
    elif not PROPERTY_ID_RE.fullmatch(property_id):
        errors.append(Error(
            f"{_OPTION}['PROPERTY_ID'] must be the property's numeric id, not {property_id!r}.",
            hint="A GA4 property id is digits only, such as 123456789 (not the G- measurement "
                 "id).",
            id="analytics_ga4.E001",
        ))
    if not credentials:
        if property_id:
            errors.append(Error(
                f"{_OPTION}['CREDENTIALS'] is not set, so the property cannot be read.",
                hint="A service account key with read access to the property: the key file's "
                     "path or its JSON, from the GA4_CREDENTIALS environment variable.",
                id="analytics_ga4.E002",
            ))
    else:
        try:
            service_account(credentials)
        except CredentialsError as exc:
            errors.append(Error(
                f"{_OPTION}['CREDENTIALS'] is unreadable: {exc}.",
                hint="Give the path of the service account's JSON key, or the JSON itself.",
                id="analytics_ga4.E003",
            ))
    measurement_id = str(raw.get("MEASUREMENT_ID") or "").strip()
    if measurement_id and not MEASUREMENT_ID_RE.fullmatch(measurement_id):
        errors.append(Error(
            f"{_OPTION}['MEASUREMENT_ID'] is not a GA4 measurement id: {measurement_id!r}.",
            hint='A web stream\'s id looks like "G-ABC123DEF4" (Admin > Data streams).',
            id="analytics_ga4.E004",
        ))
    if measurement_id and not str(raw.get("API_SECRET") or "").strip():
        errors.append(Warning(
            f"{_OPTION}['API_SECRET'] is not set: no purchase or refund events are sent.",
            hint="Create a Measurement Protocol API secret for the web stream and read it "
                 "from the GA4_API_SECRET environment variable.",
            id="analytics_ga4.W002",
        ))
    for key, upper in LIMITS.items():
        value = raw.get(key)
        if value is not None and not positive_number(value, upper=upper):
            errors.append(Error(f"{_OPTION}[{key!r}] must be a positive number of seconds, "
                                f"at most {upper:g}, not {value!r}.", id="analytics_ga4.E005"))
    for key in ("DATA_API_ENDPOINT", "MP_ENDPOINT", "TAG_URL"):
        value = raw.get(key)
        if value not in (None, "") and not (isinstance(value, str)
                                            and value.startswith(("https://", "http://"))):
            errors.append(Error(f"{_OPTION}[{key!r}] must be an http(s) URL, not {value!r}.",
                                id="analytics_ga4.E006"))
    return errors
