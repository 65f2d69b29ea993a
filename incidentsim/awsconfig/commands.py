"""``incidentsim policy import`` / ``policy export`` and ``capture --with-config``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

IMPORT_EXAMPLES = """\
examples:
  # from AWS CLI outputs (any mix; a folder stands for its *.json files)
  aws cloudwatch describe-alarms > alarms.json
  for arn in $(aws ssm-incidents list-response-plans --query 'responsePlanSummaries[].arn' --output text); do
      aws ssm-incidents get-response-plan --arn "$arn"; done > plans.json
  incidentsim policy import alarms.json plans.json --out current-policy.yaml
  # the bundled sample's wiring
  incidentsim policy import data/live-config --out current-policy.yaml
  # read-only calls with your AWS credentials
  incidentsim policy import --from-aws --region eu-west-1 --out current-policy.yaml --save-config live-config/
"""


def add_commands(commands: Any) -> None:
    """Add ``policy import`` and ``policy export`` to the ``incidentsim`` command's subcommands."""
    policy = commands.add_parser(
        "policy", help="import live Incident Manager wiring as a policy, or export a policy as CloudFormation"
    )
    sub = policy.add_subparsers(dest="policy_command", metavar="ACTION")
    sub.required = True
    imports = sub.add_parser(
        "import",
        help="build a policy equal in effect to the live wiring (alarm actions, response plans, EventBridge rules)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=IMPORT_EXAMPLES,
    )
    imports.add_argument(
        "config",
        nargs="*",
        help="AWS CLI outputs: describe-alarms, get-response-plan, list-response-plans, "
        "list-rules / describe-rule, list-targets-by-rule (files or folders)",
    )
    imports.add_argument(
        "--from-aws",
        action="store_true",
        help="read the wiring with read-only calls (your AWS credentials, or --endpoint-url)",
    )
    imports.add_argument("--region", help="the Region to read with --from-aws (default: your AWS configuration's)")
    imports.add_argument(
        "--endpoint-url", help="with --from-aws: an AWS-compatible endpoint, e.g. incidentsim serve on 127.0.0.1"
    )
    imports.add_argument("--allow-remote", action="store_true", help="allow an --endpoint-url that is not loopback")
    imports.add_argument(
        "--save-config", metavar="DIR", help="with --from-aws: keep what was read as AWS CLI-shaped files in DIR"
    )
    imports.add_argument(
        "--out", default="imported-policy.yaml", help="the policy YAML to write (default imported-policy.yaml)"
    )
    imports.add_argument("--report", metavar="FILE", help="also write the report (counts, findings, notes) as JSON")
    imports.add_argument("--name", default="imported", help="the policy's name (default imported)")
    imports.set_defaults(func=_import_command)
    exports = sub.add_parser(
        "export", help="write a policy as a CloudFormation (or Terraform) template and its alarm-action changes"
    )
    exports.add_argument("policy", help="the policy YAML, e.g. tuned-policy.yaml")
    exports.add_argument(
        "--format",
        dest="export_format",
        default="cloudformation",
        choices=("cloudformation", "terraform"),
        help="cloudformation (default) or terraform",
    )
    exports.add_argument(
        "--alarms",
        action="append",
        metavar="FILE",
        help="describe-alarms output (or a folder of CLI outputs): the alarms whose actions change; with "
        "get-response-plan output the plans keep their engagements, chat channel, runbook and integrations "
        "(repeatable)",
    )
    exports.add_argument(
        "--alarm-template",
        metavar="FILE",
        help="your CloudFormation template defining alarms: a copy gets the new AlarmActions "
        "(the rest go to the change list)",
    )
    exports.add_argument(
        "--out", help="the template to write (default: beside the policy, <policy>.cfn.yaml or <policy>.tf)"
    )
    exports.set_defaults(func=_export_command)


def _command_error(message: str) -> Exception:
    from ..cli import CommandError

    return CommandError(message)


def _clients(region: str | None, endpoint_url: str | None, allow_remote: bool) -> tuple[dict[str, Any], str]:
    """boto3 client arguments and the sentence that says where the calls go."""
    from urllib.parse import urlparse

    from ..emulator import THROWAWAY_CREDENTIALS, check_endpoint, is_loopback

    kwargs: dict[str, Any] = {"region_name": region, "endpoint_url": endpoint_url}
    if endpoint_url:
        check_endpoint(endpoint_url, allow_remote)
        if is_loopback(urlparse(endpoint_url).hostname):
            kwargs.update(THROWAWAY_CREDENTIALS)  # a local emulator: never send real keys to it
    return kwargs, endpoint_url or "your AWS account, with your AWS credentials (read-only calls)"


def fetch(kwargs: dict[str, Any]) -> Any:
    """The wiring read with read-only calls through boto3 clients made from ``kwargs``."""
    import boto3

    from .wiring import fetch_wiring

    return fetch_wiring(
        boto3.client("cloudwatch", **kwargs), boto3.client("ssm-incidents", **kwargs), boto3.client("events", **kwargs)
    )


def _import_command(args: argparse.Namespace) -> int:
    from ..policy import PolicyError
    from .importer import import_policy
    from .wiring import ConfigError, Wiring, read_wiring

    if not args.config and not args.from_aws:
        raise _command_error("give AWS CLI output files (describe-alarms, get-response-plan ...) or --from-aws")
    if args.save_config and not args.from_aws:
        raise _command_error("--save-config keeps what --from-aws read; the files given are already kept")
    try:
        wiring = read_wiring(args.config) if args.config else Wiring()
        if args.from_aws:
            kwargs, where = _clients(args.region, args.endpoint_url, args.allow_remote)
            print(
                f"incidentsim policy import: reading alarms, response plans and EventBridge rules from {where}",
                file=sys.stderr,
                flush=True,
            )
            wiring = wiring.merge(fetch(kwargs))
            if args.save_config:
                written = wiring.write(args.save_config)
                print(f"wrote {len(written)} AWS CLI-shaped file(s) to {args.save_config}", file=sys.stderr)
        imported = import_policy(wiring, name=args.name)
    except (ConfigError, PolicyError, ValueError) as error:
        raise _command_error(str(error)) from None
    for target in (args.out, args.report):  # checked, then written, before anything is printed: a failure is one line
        if target and Path(target).is_dir():
            raise _command_error(f"{target}: is a folder; give a file name")
    _write_text(args.out, imported.policy.to_yaml())
    if args.report:
        _write_text(args.report, json.dumps(imported.report.to_data(), indent=2) + "\n")
    print("read:\n" + wiring.summary(), file=sys.stderr)
    print(imported.report.text())
    print(f"wrote {args.out}" + (f" and {args.report}" if args.report else ""))
    return 0


def _write_text(path: str | Path, text: str) -> None:
    """Write a file the user named, making its folder (an unwritable place is an OSError, one line from ``main``)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def _export_command(args: argparse.Namespace) -> int:
    from ..policy import Policy, PolicyError
    from .export import export_policy
    from .wiring import ConfigError

    try:
        policy = Policy.from_yaml(args.policy)
        exported = export_policy(
            policy, alarms=args.alarms, alarm_template=args.alarm_template, format=args.export_format
        )
    except (ConfigError, PolicyError, ValueError) as error:
        raise _command_error(str(error)) from None
    suffix = ".tf" if args.export_format == "terraform" else ".cfn.yaml"
    out = Path(args.out) if args.out else Path(args.policy).with_suffix(suffix)
    if out.is_dir():
        raise _command_error(f"{out}: is a folder; give --out a file name")
    if out.resolve() == Path(args.policy).resolve():
        raise _command_error(f"--out {out} is the policy itself; give the template another name")
    written = exported.write(out)
    print(exported.summary_text())
    print(f"wrote {', '.join(str(p) for p in written.values())}")
    return 0


def capture_config(args: argparse.Namespace, credentials: dict[str, str]) -> None:
    """``capture --with-config``: keep the wiring beside the history, and the policy imported from it."""
    from .importer import import_policy

    kwargs = {"region_name": args.region, "endpoint_url": args.endpoint_url, **credentials}
    where = args.endpoint_url or "your AWS account, with your AWS credentials (read-only calls)"
    from .wiring import ConfigError

    print(f"incidentsim capture: reading alarms, response plans and EventBridge rules from {where}", flush=True)
    try:
        wiring = fetch(kwargs)
    except ConfigError as error:
        raise _command_error(str(error)) from None
    folder = Path(args.out).parent / "live-config"
    written = wiring.write(folder)
    try:
        imported = import_policy(wiring)
    except ValueError as error:
        print(f"incidentsim capture: wrote {len(written)} wiring file(s) to {folder}; no policy imported: {error}")
        return
    path = Path(args.out).parent / "imported-policy.yaml"
    imported.policy.to_yaml(path)
    print(imported.report.text())
    print(f"wrote {len(written)} wiring file(s) to {folder} and the policy they make to {path}")
