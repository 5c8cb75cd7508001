"""Routes of the 科技金融 blueprint: credit area (loan products, financing needs, leads, stats)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from matchmaker.models import FinancingNeed, LoanProduct, ProductKind
from matchmaker.permissions import Permission, can_manage_product
from matchmaker.services.finance import consent, financing_needs, leads, loan_products
from matchmaker.services.platform import taxonomy
from matchmaker.web.finance.blueprint import bp
from matchmaker.web.finance.credit_forms import (
    ActionForm,
    CloseNeedForm,
    FinancingNeedForm,
    ProductForm,
    collateral_values,
)
from matchmaker.web.forms import form_errors
from matchmaker.web.i18n import select_locale
from matchmaker.web.ids import to_id
from matchmaker.web.policy import permission_required, public
from matchmaker.web.refusals import on_refusal


# --- loan products -----------------------------------------------------------------------------
def _product_form(product: LoanProduct | None = None, *, submitted: bool = True) -> ProductForm:
    if submitted:
        form = ProductForm()
    elif product is not None:
        form = ProductForm(formdata=None, obj=product)
        form.kind.data = str(product.kind)
        form.field_ids.data = list(product.field_ids or [])
        form.collateral.data = collateral_values(product.collateral)
    else:
        form = ProductForm(formdata=None)
        form.collateral.data = collateral_values(1)
    form.field_ids.choices = taxonomy.field_choices(select_locale())
    return form


@bp.get("/products")
@public
def products() -> str:
    """The public catalogue: published products of verified banks."""
    kind = request.args.get("kind") or None
    if kind not in {k.value for k in ProductKind}:
        kind = None
    bank_id = to_id(request.args.get("bank"))
    return render_template(
        "finance/products.html",
        items=loan_products.public_products(kind=kind, bank_id=bank_id),
        banks=loan_products.catalogue_banks(),
        kind=kind,
        bank_id=bank_id,
    )


@bp.get("/products/mine")
@permission_required(Permission.LOAN_PRODUCT)
def my_products() -> str:
    """The bank's own products in every state."""
    return render_template(
        "finance/products_mine.html",
        items=loan_products.bank_products(current_user.organisation_id),
        action_form=ActionForm(formdata=None),
    )


@bp.route("/products/new", methods=["GET", "POST"])
@permission_required(Permission.LOAN_PRODUCT)
def new_product() -> Response | str | tuple[str, int]:
    """A new product, saved as a draft."""
    form = _product_form(submitted=request.method == "POST")

    def page() -> str:
        return render_template("finance/product_form.html", form=form, product=None)

    if not form.validate_on_submit():
        return (page(), 400) if request.method == "POST" else page()
    on_refusal(page)
    with form_errors(form) as outcome:
        product = loan_products.create_product(actor=current_user, data=form.to_data())
    if not outcome.ok:
        return page(), 400
    flash(_("产品已保存为草稿，发布后进入公开产品目录。"), "success")
    return redirect(url_for("finance.product", product_id=product.id))


def _managed_product(product_id: int) -> LoanProduct:
    return loan_products.get_managed_product(actor=current_user, product_id=product_id)


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.LOAN_PRODUCT)
def edit_product(product_id: int) -> Response | str | tuple[str, int]:
    """Change a draft or withdrawn product."""
    product = _managed_product(product_id)
    form = _product_form(product, submitted=request.method == "POST")

    def page() -> str:
        return render_template("finance/product_form.html", form=form, product=product)

    if not form.validate_on_submit():
        return (page(), 400) if request.method == "POST" else page()
    on_refusal(page)
    with form_errors(form) as outcome:
        loan_products.update_product(actor=current_user, product=product, data=form.to_data())
    if not outcome.ok:
        return page(), 400
    flash(_("产品已保存。"), "success")
    return redirect(url_for("finance.product", product_id=product.id))


def _render_product(product: LoanProduct) -> str:
    owner = can_manage_product(current_user, product)
    matches = loan_products.matching_needs(actor=current_user, product=product) if owner else []
    return render_template(
        "finance/product.html",
        product=product,
        owner=owner,
        fields=loan_products.field_names(product, select_locale()),
        matches=matches,
        live_leads=leads.live_leads_by_firm(current_user.organisation_id) if owner else {},
        action_form=ActionForm(formdata=None),
    )


@bp.get("/products/<int:product_id>")
@public
def product(product_id: int) -> str:
    """A product's terms and rules; for its bank also the matching financing needs."""
    item = loan_products.get_product(
        actor=current_user if current_user.is_authenticated else None, product_id=product_id
    )
    return _render_product(item)


def _product_step(product_id: int, step: Callable[..., LoanProduct], done: str) -> Response:
    product = _managed_product(product_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    on_refusal(lambda: _render_product(product))
    step(actor=current_user, product=product)
    flash(done, "success")
    return redirect(url_for("finance.product", product_id=product.id))


@bp.post("/products/<int:product_id>/publish")
@permission_required(Permission.LOAN_PRODUCT)
def publish_product(product_id: int) -> Response:
    """Publish a draft, or republish a withdrawn product."""
    return _product_step(product_id, loan_products.publish_product, _("产品已发布。"))


@bp.post("/products/<int:product_id>/withdraw")
@permission_required(Permission.LOAN_PRODUCT)
def withdraw_product(product_id: int) -> Response:
    """Take a published product out of the catalogue."""
    return _product_step(product_id, loan_products.withdraw_product, _("产品已下架。"))


# --- financing needs ---------------------------------------------------------------------------
@bp.get("/financing-needs", endpoint="financing_needs")
@permission_required(Permission.FIRM_PROFILE)
def financing_needs_list() -> str:
    """The enterprise's financing needs."""
    return render_template(
        "finance/financing_needs.html",
        items=financing_needs.organisation_needs(current_user.organisation_id),
    )


def _need_form(need: FinancingNeed | None = None, *, submitted: bool = True) -> FinancingNeedForm:
    if submitted:
        return FinancingNeedForm()
    form = FinancingNeedForm(formdata=None, obj=need)
    form.collateral.data = collateral_values(need.collateral if need else 1)
    return form


@bp.route("/financing-needs/new", methods=["GET", "POST"])
@permission_required(Permission.FIRM_PROFILE)
def new_financing_need() -> Response | str | tuple[str, int]:
    """Post a financing need."""
    form = _need_form(submitted=request.method == "POST")

    def page() -> str:
        return render_template("finance/financing_need_form.html", form=form, need=None)

    if not form.validate_on_submit():
        return (page(), 400) if request.method == "POST" else page()
    on_refusal(page)
    with form_errors(form) as outcome:
        need = financing_needs.create_financing_need(actor=current_user, data=form.to_data())
    if not outcome.ok:
        return page(), 400
    flash(_("融资需求已发布。授权期内，银行可以看到它。"), "success")
    return redirect(url_for("finance.financing_need", financing_need_id=need.id))


def _own_need(financing_need_id: int) -> FinancingNeed:
    return financing_needs.get_financing_need(actor=current_user, need_id=financing_need_id)


def _render_need(need: FinancingNeed, close_form: CloseNeedForm | None = None) -> str:
    return render_template(
        "finance/financing_need.html",
        need=need,
        matches=financing_needs.eligible_products(actor=current_user, need=need),
        consenting=consent.live_grant(need.organisation_id) is not None,
        close_form=close_form or CloseNeedForm(formdata=None),
    )


@bp.get("/financing-needs/<int:financing_need_id>")
@permission_required(Permission.FIRM_PROFILE)
def financing_need(financing_need_id: int) -> str:
    """A need with the products it is eligible for (and why the others are not)."""
    return _render_need(_own_need(financing_need_id))


@bp.route("/financing-needs/<int:financing_need_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.FIRM_PROFILE)
def edit_financing_need(financing_need_id: int) -> Response | str | tuple[str, int]:
    """Change an open need."""
    need = _own_need(financing_need_id)
    form = _need_form(need, submitted=request.method == "POST")

    def page() -> str:
        return render_template("finance/financing_need_form.html", form=form, need=need)

    if not form.validate_on_submit():
        return (page(), 400) if request.method == "POST" else page()
    on_refusal(page)
    with form_errors(form) as outcome:
        financing_needs.update_financing_need(actor=current_user, need=need, data=form.to_data())
    if not outcome.ok:
        return page(), 400
    flash(_("融资需求已保存。"), "success")
    return redirect(url_for("finance.financing_need", financing_need_id=need.id))


@bp.post("/financing-needs/<int:financing_need_id>/close")
@permission_required(Permission.FIRM_PROFILE)
def close_financing_need(financing_need_id: int) -> Response | tuple[str, int]:
    """Close a need: financing obtained, or no longer needed."""
    need = _own_need(financing_need_id)
    form = CloseNeedForm()
    if not form.validate_on_submit():
        return _render_need(need, form), 400
    on_refusal(lambda: _render_need(need))
    financing_needs.close_financing_need(
        actor=current_user, need=need, satisfied=form.outcome.data == "satisfied"
    )
    flash(_("融资需求已关闭。"), "success")
    return redirect(url_for("finance.financing_need", financing_need_id=need.id))
