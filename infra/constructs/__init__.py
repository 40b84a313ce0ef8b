"""One construct per capability; infra/stack.py only composes them."""

from infra.constructs.alarms import Alarms
from infra.constructs.api import GalleryApi
from infra.constructs.authorizer import ApiAuthorizer
from infra.constructs.capability import Capability, CapabilityStack
from infra.constructs.function import GalleryFunction
from infra.constructs.logs import LogGroup
from infra.constructs.network import IsolatedNetwork
from infra.constructs.package import FunctionPackage
from infra.constructs.realtime import RealtimeApi
from infra.constructs.storage import Storage
from infra.constructs.triggers import Triggers

__all__ = [
    "Alarms",
    "ApiAuthorizer",
    "Capability",
    "CapabilityStack",
    "FunctionPackage",
    "GalleryApi",
    "GalleryFunction",
    "IsolatedNetwork",
    "LogGroup",
    "RealtimeApi",
    "Storage",
    "Triggers",
]
