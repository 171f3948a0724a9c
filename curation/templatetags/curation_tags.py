from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """`{{ form|get:name }}`: a dictionary value by a computed key."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""
