"""Every action the audit log records, as constants (as Zulip keeps event types on its audit
model). `audit.record` accepts nothing else, so a new kind of change must be named here first, and
the groups below (which the audit page and the item history filter by) are derived from the
names, so a new review action is hidden from the audit page while its item is undecided without
anyone having to remember to add it.

Naming: `<object>.<verb>`. Anything that records a single review, recusal or verdict is named
`review.*`: blind review depends on it.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    AUDIT_EXPORT = "audit.export"
    AUTH_SIGN_IN = "auth.sign_in"
    AUTH_SIGN_IN_FAILED = "auth.sign_in_failed"
    AUTH_SIGN_IN_FAILURES = "auth.sign_in_failures"  # a count, once one address has failed too often
    AUTH_SIGN_OUT = "auth.sign_out"
    CRITERIA_PUBLISH = "criteria.publish"
    FEED_GRANT = "feed.grant"
    FEED_REVOKE = "feed.revoke"
    MFA_ENROL = "mfa.enrol"
    MFA_ENROL_FAILED = "mfa.enrol_failed"
    MFA_RESET = "mfa.reset"
    MFA_VERIFY = "mfa.verify"
    MFA_VERIFY_FAILED = "mfa.verify_failed"
    OPERATOR_ACT_ACKNOWLEDGE = "operator_act.acknowledge"
    ORGANISATION_ACTIVATE = "organisation.activate"
    ORGANISATION_CREATE = "organisation.create"
    ORGANISATION_DEACTIVATE = "organisation.deactivate"
    ORGANISATION_UPDATE = "organisation.update"
    RELEASE_DOWNLOAD = "release.download"
    MATCH_SIGHTING = "match.sighting"  # a partner's match call that matched: its sightings recorded
    SIGHTING_PURGE = "sighting.purge"  # sightings older than the retention period deleted
    REPORT_CREATE = "report.create"  # a partner's match or false-positive report on a listed item
    REPORT_DISMISS = "report.dismiss"  # a curator dismissed a false-positive report, with a reason
    REPORT_PURGE = "report.purge"  # reports older than the retention period deleted
    DOWNLOAD_LOG_PURGE = "download_log.purge"  # download log rows older than the retention period deleted
    RELEASE_FAIL = "release.fail"
    RELEASE_PUBLISH = "release.publish"
    RELEASE_REQUEST = "release.request"
    RELEASE_RESTART = "release.restart"
    REVIEW_RECORD = "review.record"
    REVIEW_RECUSE = "review.recuse"
    ROLE_GRANT = "role.grant"
    ROLE_REQUEST_APPROVE = "role_request.approve"
    ROLE_REQUEST_CREATE = "role_request.create"
    ROLE_REQUEST_EXPIRE = "role_request.expire"
    ROLE_REQUEST_LIST = "role_request.list"
    ROLE_REQUEST_REFUSE = "role_request.refuse"
    ROLE_REVOKE = "role.revoke"
    SIGNING_KEY_ACTIVATE = "signing_key.activate"
    SUBMISSION_APPROVE = "submission.approve"
    SUBMISSION_CREATE = "submission.create"
    SUBMISSION_HOLD = "submission.hold"  # a resubmission of a rejected item's signature: held
    SUBMISSION_REFUSE = "submission.refuse"  # a curator refuses a held item: withdrawn
    SUBMISSION_REJECT = "submission.reject"
    SUBMISSION_RETRACT = "submission.retract"
    SUBMISSION_SIGN_OFF = "submission.sign_off"  # a curator signs a held item off: pending
    SUBMISSION_WITHDRAW = "submission.withdraw"
    TOKEN_CREATE = "token.create"
    TOKEN_REVOKE = "token.revoke"
    USER_ACTIVATE = "user.activate"
    USER_CREATE = "user.create"
    USER_DEACTIVATE = "user.deactivate"
    USER_EMAIL_DIGEST = "user.email_digest"
    USER_PASSWORD_CHANGE = "user.password_change"
    USER_PASSWORD_CHANGE_FAILED = "user.password_change_failed"
    USER_REAUTH_FAILED = "user.reauth_failed"
    USER_PASSWORD_ISSUE = "user.password_issue"

    @property
    def subject(self) -> str:
        """What the action is about: `review` for `review.record`."""
        return self.value.partition(".")[0]


def actions_about(subject: str) -> frozenset[AuditAction]:
    return frozenset(action for action in AuditAction if action.subject == subject)


# Entries that tell something about one review of an item: hidden while the item is undecided.
REVIEW_ACTIONS = actions_about("review")
# An item's status changes, shown as its history.
STATUS_ACTIONS = actions_about("submission")
