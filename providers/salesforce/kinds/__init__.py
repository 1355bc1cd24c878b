"""The resource kinds the Salesforce provider serves: a registry from kind name to handler class.

``SalesforceProvider`` builds one handler of every kind listed in ``KINDS`` for each org it connects to
(each from the org's shared ``KindContext``), dispatches ``read``, ``preflight``, ``apply`` and
``inventory`` to it by the kind's name, and supports exactly these kinds. Names are plain strings, as
addresses spell them. ``kinds/base.py`` states what a handler must and must not do.

Adding a kind: one module in this folder with its handler class, and one line in ``KINDS``.
"""

from __future__ import annotations

from collections.abc import Mapping

from providers.salesforce.kinds.apex import ApexHandler
from providers.salesforce.kinds.base import HandlerFactory
from providers.salesforce.kinds.custom_metadata import CustomMetadataHandler
from providers.salesforce.kinds.custom_setting import CustomSettingHandler
from providers.salesforce.kinds.duplicate_rule import DuplicateRuleHandler
from providers.salesforce.kinds.flow import FlowHandler
from providers.salesforce.kinds.group_membership import GroupMembershipHandler
from providers.salesforce.kinds.layout_assignment import LayoutAssignmentHandler
from providers.salesforce.kinds.named_credential import NamedCredentialHandler
from providers.salesforce.kinds.permission_set_grant import PermissionSetGrantHandler
from providers.salesforce.kinds.picklist import PicklistHandler
from providers.salesforce.kinds.record_type_picklist import RecordTypePicklistHandler
from providers.salesforce.kinds.record_type_visibility import RecordTypeVisibilityHandler
from providers.salesforce.kinds.remote_site import RemoteSiteHandler
from providers.salesforce.kinds.scheduled_job import ScheduledJobHandler
from providers.salesforce.kinds.validation_rule import ValidationRuleHandler

KINDS: Mapping[str, HandlerFactory] = {
    "picklist": PicklistHandler,
    "layout_assignment": LayoutAssignmentHandler,
    "permission_set_grant": PermissionSetGrantHandler,
    "validation_rule": ValidationRuleHandler,
    "duplicate_rule": DuplicateRuleHandler,
    "flow": FlowHandler,
    "scheduled_job": ScheduledJobHandler,
    "remote_site": RemoteSiteHandler,
    "named_credential": NamedCredentialHandler,
    "custom_setting": CustomSettingHandler,
    "custom_metadata": CustomMetadataHandler,
    "apex": ApexHandler,
    "record_type_picklist": RecordTypePicklistHandler,
    "record_type_visibility": RecordTypeVisibilityHandler,
    "group_membership": GroupMembershipHandler,
}
