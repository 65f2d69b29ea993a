"""Live Incident Manager wiring in and out: import it as a policy, export a policy as CloudFormation.

* :func:`read_wiring` / :func:`fetch_wiring`: AWS CLI outputs or read-only boto3 calls
  (CloudWatch alarms, response plans, EventBridge rules and targets) as a :class:`Wiring`.
* :func:`import_policy`: a :class:`~incidentsim.policy.Policy` equal in effect to that
  wiring, with an :class:`ImportReport` of everything a policy cannot say.
* :func:`export_policy`: a policy as a CloudFormation template (one
  ``AWS::SSMIncidents::ResponsePlan`` per plan), the alarm-action changes it needs, and
  route by route what Incident Manager cannot express natively.
"""

from .export import AlarmChange, Export, NotNative, export_policy
from .importer import Finding, ImportReport, ImportResult, import_policy
from .wiring import AlarmWiring, ConfigError, PlanWiring, RuleWiring, Wiring, fetch_wiring, read_wiring

__all__ = [
    "AlarmChange",
    "AlarmWiring",
    "ConfigError",
    "Export",
    "Finding",
    "ImportReport",
    "ImportResult",
    "NotNative",
    "PlanWiring",
    "RuleWiring",
    "Wiring",
    "export_policy",
    "fetch_wiring",
    "import_policy",
    "read_wiring",
]
