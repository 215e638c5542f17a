"""Factories of the shared core."""

import factory
from django.contrib.auth import get_user_model

from healthaid.choices import InstitutionKind, RegionLevel
from healthaid.models import Institution, Region, UserProfile

TEST_PASSWORD = "pass-for-tests-2026"


class RegionFactory(factory.django.DjangoModelFactory):
    """A region under ``parent``; give ``code`` and ``level`` explicitly."""

    class Meta:
        model = Region
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"区域{n}")
    level = RegionLevel.VILLAGE


class InstitutionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Institution
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"I{n:06d}")
    name = factory.Sequence(lambda n: f"医疗机构{n}")
    kind = InstitutionKind.TOWNSHIP_CENTRE
    phone = "0878-1234567"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "测试"
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UserProfile

    user = factory.SubFactory(UserFactory)
