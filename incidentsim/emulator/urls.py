"""ssm-incidents base URLs and paths, as moto's service index reads them."""

from .responses import SSMIncidentsResponse

url_bases = [
    r"https?://ssm-incidents\.(.+)\.amazonaws\.com",
    r"https?://ssm-incidents\.(.+)\.amazonaws\.com\.cn",
]

_OPERATION_PATHS = (
    "batchGetIncidentFindings",
    "createReplicationSet",
    "createResponsePlan",
    "createTimelineEvent",
    "deleteIncidentRecord",
    "deleteReplicationSet",
    "deleteResourcePolicy",
    "deleteResponsePlan",
    "deleteTimelineEvent",
    "getIncidentRecord",
    "getReplicationSet",
    "getResourcePolicies",
    "getResponsePlan",
    "getTimelineEvent",
    "listIncidentFindings",
    "listIncidentRecords",
    "listRelatedItems",
    "listReplicationSets",
    "listResponsePlans",
    "listTimelineEvents",
    "putResourcePolicy",
    "startIncident",
    "updateDeletionProtection",
    "updateIncidentRecord",
    "updateRelatedItems",
    "updateReplicationSet",
    "updateResponsePlan",
    "updateTimelineEvent",
)

url_paths = {f"{{0}}/{path}$": SSMIncidentsResponse.dispatch for path in _OPERATION_PATHS}
url_paths["{0}/tags/(?P<resourceArn>.+)$"] = SSMIncidentsResponse.dispatch
# Any other path on the service's endpoint: answered by the emulator (a JSON 404, or the operation
# whose method and path match when moto's router wanted more), not by an HTML page.
url_paths[r"{0}/(?P<path>[\s\S]*)$"] = SSMIncidentsResponse.dispatch
