from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """`{{ form|get:name }}`: a dictionary value by a computed key."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.simple_tag(takes_context=True)
def page_url(context, number: int) -> str:
    """`?…&page=N` keeping every other query parameter of the current page (filters, search),
    properly encoded, so moving between pages never drops what the list is filtered by."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()


@register.filter
def algorithm_label(name: str) -> str:
    """`{{ s.algorithm|algorithm_label }}`: SHA-256, PhotoDNA, vPDQ, as people write them."""
    from baseline_client.hashing.signatures import ALGORITHMS

    algorithm = ALGORITHMS.get(name)
    return algorithm.label if algorithm else name


@register.filter
def vpdq_summary(value: str) -> dict:
    """`{{ s.value|vpdq_summary }}`: a vPDQ value's frame count, usable frames, sampling and the time of
    its last frame (the frames alone cannot tell how long the video runs after it)."""
    from baseline_client.hashing.video import clock
    from baseline_client.matching.vpdq import MIN_QUALITY, Video

    video = Video.parse(value)
    interval = video.interval
    if interval is None:
        sampling = "one frame"
    elif interval < 0.1:
        sampling = f"every frame ({1 / interval:.0f} a second)"
    else:
        sampling = f"one every {interval:g} s"
    last = float(video.times[-1]) if len(video.times) else 0.0  # the video may run on up to an interval
    usable = int((video.qualities >= MIN_QUALITY).sum())
    return {"count": len(video.times), "frames": f"{len(video.times):,}", "usable": f"{usable:,}",
            "sampling": sampling, "last": clock(last)}


STATUS_EVENTS = {
    "submission.create": "Submitted", "submission.approve": "Approved: the required agreements were recorded",
    "submission.reject": "Rejected: a reviewer found it outside the criteria", "submission.withdraw": "Withdrawn",
    "submission.retract": "Retracted", "submission.hold": "Held: a signature is in a rejected item",
    "submission.sign_off": "Signed off for review", "submission.refuse": "Refused (withdrawn)",
}


@register.filter
def status_event(action: str) -> str:
    """`{{ entry.action|status_event }}`: an item's status change in words (selectors.STATUS_ACTIONS)."""
    return STATUS_EVENTS.get(action, action)
