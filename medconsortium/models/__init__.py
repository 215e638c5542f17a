"""Models of the consortium app: one module per topic, re-exported here."""

from medconsortium.models.consortia import (
    Consortium,
    ConsortiumMember,
    ExpertSession,
    Referral,
    RemoteConsultation,
    ReservedCapacity,
    TraineeExchange,
)

__all__ = [
    "Consortium",
    "ConsortiumMember",
    "ExpertSession",
    "Referral",
    "RemoteConsultation",
    "ReservedCapacity",
    "TraineeExchange",
]
