"""A project with its own login page (``/login/``, name ``login``) and the shop at the root."""

from django.contrib import admin
from django.contrib.auth import login
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import include, path
from django.utils.http import url_has_allowed_host_and_scheme


def project_login(request: HttpRequest) -> HttpResponse:
    """The project's own login: Django's form (the user model's USERNAME_FIELD)."""
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        target = request.GET.get("next", "/")
        safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        return HttpResponseRedirect(target if safe else "/")
    return HttpResponse("<h1>The project's own login</h1>")


urlpatterns = [
    path("admin/", admin.site.urls),
    path("login/", project_login, name="login"),
    path("", include("marketplace_core.urls")),
]
