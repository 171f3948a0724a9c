"""The item page's panel for held items and chains of linked items: `{% held_panel %}`. Curators
see the chain and decide held items; the submitter of a held item sees that it is held (never
why an earlier item failed, nor who judged it) and may withdraw it."""

from django import template

from curation import permissions
from curation.models import Submission
from curation.submissions import selectors
from curation.submissions.held_forms import MAX_REASON

register = template.Library()


@register.inclusion_tag("curation/_held_panel.html", takes_context=True)
def held_panel(context):
    item, user = context["item"], context["request"].user
    held = item.status == Submission.Status.HELD
    chain = selectors.chain_of(item) if permissions.may_see_earlier_item_link(user) else []
    return {
        "item": item, "held": held, "csrf_token": context.get("csrf_token"), "max_reason": MAX_REASON,
        "may_decide": held and permissions.may_decide_held(user),
        "may_withdraw": held and permissions.withdraw_refusal(user, item) is None,
        "chain": chain if len(chain) > 1 else None, "sees_reason": permissions.may_see_earlier_item_link(user),
    }
