from accounts.navigation import links_for
from accounts.permissions import roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_links": links_for(user), "user_roles": sorted(roles_of(user))}
