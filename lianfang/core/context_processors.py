from .roles import CAPABILITIES


def actor(request):
    user = getattr(request, "user", None)
    caps = CAPABILITIES.get(getattr(user, "role", None), frozenset()) if user and user.is_authenticated else frozenset()
    return {"can": {c: True for c in caps}}
