"""Staff registry search (HTMX): filters, Japanese free text, fragment, constant query count."""

import pytest
from django.urls import reverse

from partners.services import organization_search_refresh
from portal.models import AccessLog, Field
from tests.partners.factories import OrganizationFactory, ResourceFactory
from tests.portal.factories import ward

URL = reverse("partners:registry")


def names(response):
    return [org.name for org in response.context["rows"]]


@pytest.fixture
def registry(db):
    elderly = Field.objects.get(name="高齢者支援")
    dx = Field.objects.get(name="DX・デジタル")
    company = OrganizationFactory(
        name="株式会社みなとデジタルソリューションズ",
        size="sme",
        csr_policy="ＤＸで地域の高齢者を支えます",
    )
    r = ResourceFactory(organization=company, kind="technology", title="スマホ教室", sdgs=[3, 9])
    r.fields.set([dx])
    uni = OrganizationFactory(
        name="城南工業大学",
        org_type="university",
        size="private",
        serves_all_wards=False,
    )
    uni.wards_served.set([ward("13109")])
    r = ResourceFactory(organization=uni, kind="students", title="学生ボランティア", sdgs=[11])
    r.fields.set([elderly])
    npo = OrganizationFactory(
        name="NPO法人すぎなみ子育てネット", org_type="npo", status="pending", serves_all_wards=False
    )
    npo.wards_served.set([ward("13115")])
    ResourceFactory(organization=npo, kind="people", title="子育てひろばの運営", sdgs=[1, 4])
    # What every write service does after saving (factories skip services).
    organization_search_refresh(organization_ids=[company.pk, uni.pk, npo.pk])
    return company, uni, npo


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {},
            [
                "NPO法人すぎなみ子育てネット",
                "城南工業大学",
                "株式会社みなとデジタルソリューションズ",
            ],
        ),
        ({"org_type": "university"}, ["城南工業大学"]),
        ({"size": "sme"}, ["株式会社みなとデジタルソリューションズ"]),
        ({"kind": "students"}, ["城南工業大学"]),
        ({"status": "pending"}, ["NPO法人すぎなみ子育てネット"]),
        ({"sdg": "1"}, ["NPO法人すぎなみ子育てネット"]),  # 1 must not match 11
        ({"sdg": "11"}, ["城南工業大学"]),
        # Japanese free text: NFKC (ＤＸ → DX), several words all required.
        ({"q": "dx　高齢者"}, ["株式会社みなとデジタルソリューションズ"]),
        ({"q": "ＮＰＯ 子育て"}, ["NPO法人すぎなみ子育てネット"]),
        ({"q": "スマホ 大学"}, []),
        ({"q": "学生ボランティア"}, ["城南工業大学"]),
    ],
)
def test_filters(client, coordinator, registry, params, expected):
    client.force_login(coordinator)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert names(response) == expected


@pytest.mark.django_db
def test_field_and_ward_filters(client, coordinator, registry):
    client.force_login(coordinator)
    elderly = Field.objects.get(name="高齢者支援")
    assert names(client.get(URL, {"field": elderly.pk})) == ["城南工業大学"]
    # 品川区: the company serves all wards, the university chose 品川区, the NPO only 杉並区.
    assert names(client.get(URL, {"ward": ward("13109").pk})) == [
        "城南工業大学",
        "株式会社みなとデジタルソリューションズ",
    ]


@pytest.mark.django_db
def test_htmx_request_gets_only_the_results_fragment(client, coordinator, registry):
    client.force_login(coordinator)
    response = client.get(URL, {"org_type": "npo"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="registry-results"')
    assert "<html" not in html and "NPO法人すぎなみ子育てネット" in html
    assert "HX-Request" in response["Vary"]
    full = client.get(URL, {"org_type": "npo"}).content.decode()
    assert "<html" in full and 'hx-push-url="true"' in full


def _make(count):
    for _ in range(count):
        org = OrganizationFactory()
        ResourceFactory(organization=org, kind="technology")
        ResourceFactory(organization=org, kind="funding")


@pytest.mark.django_db
def test_query_count_does_not_grow_with_rows(client, coordinator, django_assert_max_num_queries):
    client.force_login(coordinator)
    _make(5)
    client.get(URL)  # first request of the day records activity; measure the steady state
    with django_assert_max_num_queries(12) as five:
        response = client.get(URL)
    assert len(response.context["rows"]) == 5
    _make(45)
    with django_assert_max_num_queries(len(five.captured_queries)) as fifty:
        response = client.get(URL)
    assert len(fifty.captured_queries) == len(five.captured_queries)
    assert len(response.context["rows"]) == 50
    assert "資金" in response.content.decode()


@pytest.mark.django_db
def test_pagination_keeps_the_filters(client, coordinator):
    client.force_login(coordinator)
    _make(55)
    response = client.get(URL, {"org_type": "company"})
    assert response.context["page"].paginator.num_pages == 2
    assert "org_type=company&amp;page=2" in response.content.decode()
    assert len(client.get(URL, {"org_type": "company", "page": 2}).context["rows"]) == 5


@pytest.mark.django_db
def test_export_buttons_write_an_access_log(client, coordinator, registry):
    client.force_login(coordinator)
    csv = client.get(reverse("partners:export", args=["csv"]))
    assert csv.status_code == 200
    assert csv.content.startswith(b"\xef\xbb\xbfref,organization")
    xlsx = client.get(reverse("partners:export", args=["xlsx"]))
    assert xlsx.content.startswith(b"PK\x03\x04")
    assert AccessLog.objects.filter(kind=AccessLog.Kind.EXPORT, user=coordinator).count() == 2
    assert client.get(reverse("partners:export", args=["pdf"])).status_code == 404
