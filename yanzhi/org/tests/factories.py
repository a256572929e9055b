"""Factories for the chain, stores and staff. Staff go through the service, so the password
policy and audit apply in tests as in production."""

import itertools

import factory

from yanzhi.org import services
from yanzhi.org.models import Department, Organization, Store

TEST_PASSWORD = "Yz-test-Passw0rd!"
_usernames = itertools.count(1)


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"测试医美连锁{n}")
    code = factory.Sequence(lambda n: f"chain{n}")


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"门店{n}")
    code = factory.Sequence(lambda n: f"S{n:03d}")


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"科室{n}")


def make_staff(org, role, stores=(), *, name=None, username=None, password=TEST_PASSWORD, **extra):
    """A staff account of the given role working in the given stores."""
    n = next(_usernames)
    return services.create_staff(
        org,
        username=username or f"{role}{n}",
        name=name or f"{role}-{n}",
        role=role,
        stores=list(stores),
        password=password,
        by=None,
        **extra,
    )
