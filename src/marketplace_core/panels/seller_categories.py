"""The seller's own categories: list, create, edit, delete (seed §5
SellerProductCategory* views). Names are unique per seller in any letter
case; deleting a category leaves its products in place."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import CreateView, DeleteView, ListView, UpdateView
from django.views.generic.edit import ModelFormMixin

from marketplace_core.catalog import services
from marketplace_core.catalog.forms import CategoryForm
from marketplace_core.catalog.models import Category
from marketplace_core.exceptions import Rejected
from marketplace_core.panels.mixins import SellerOwnedMixin, SellerPanelMixin


def _categories_url() -> str:
    return reverse("marketplace:seller_categories")


class SellerProductCategoryListView(SellerPanelMixin, ListView):
    """The seller's categories with how many products each holds."""

    template_name = "marketplace_core/seller/category_list.html"
    context_object_name = "categories"
    paginate_by = 50
    panel_nav_key = "seller-categories"

    def get_queryset(self) -> QuerySet[Category]:
        return (
            Category.objects.filter(seller_id=self.request.user.pk)
            .annotate(product_count=Count("products"))
            .order_by("name", "id")
        )


class _CategoryFormMixin(ModelFormMixin):
    """The category form of both the create and the edit page, saved through
    the catalog service; a refusal (a taken name) becomes a form error."""

    request: HttpRequest
    template_name: str | None = "marketplace_core/seller/category_form.html"
    form_class = CategoryForm
    panel_nav_key = "seller-categories"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "seller": self.request.user}

    def form_valid(self, form: ModelForm[Any]) -> HttpResponse:
        assert isinstance(form, CategoryForm)
        try:
            category = services.save_category(
                form.instance, seller=self.request.user)  # type: ignore[arg-type]
        except Rejected as exc:
            form.add_error("name" if exc.code == "name_taken" else None, exc.message)
            return self.form_invalid(form)
        messages.success(self.request, f"Category “{category.name}” is saved.")
        return HttpResponseRedirect(_categories_url())


class SellerProductCategoryCreateView(SellerPanelMixin, _CategoryFormMixin, CreateView):
    extra_context = {"creating": True}


class SellerProductCategoryUpdateView(SellerOwnedMixin, _CategoryFormMixin, UpdateView):
    model = Category
    extra_context = {"creating": False}


class SellerProductCategoryDeleteView(SellerOwnedMixin, DeleteView):
    """Confirm, then delete; the products it held stay, without this category."""

    model = Category
    template_name = "marketplace_core/seller/category_confirm_delete.html"
    panel_nav_key = "seller-categories"
    context_object_name = "category"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["product_count"] = self.object.products.count()
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        category: Category = self.object
        held = services.delete_category(category, seller=self.request.user)  # type: ignore[arg-type]
        kept = "" if not held else (
            " Its product stays in place." if held == 1
            else f" Its {held} products stay in place."
        )
        messages.success(self.request, f"Category “{category.name}” is deleted.{kept}")
        return HttpResponseRedirect(_categories_url())
