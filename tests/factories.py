import factory

from accounts.models import Organisation, RoleGrant, User

PASSWORD = "correct horse battery staple"  # every factory user's


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    country = "FR"
    kind = Organisation.Kind.LAW_ENFORCEMENT


class UserFactory(factory.django.DjangoModelFactory):
    """A user with roles granted directly; services are tested on their own."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            RoleGrant.objects.create(user=self, role=role)
