import factory

from kepu.orgs.models import Organization, OrgKind


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"单位{n}")
    kind = OrgKind.MEMBER_UNIT
    place = None
