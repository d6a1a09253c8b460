"""``tdcoord opf dc|feeder|joint``: DC-OPF with LMPs, feeder OPF with DLMPs, joint T+D OPF."""

from __future__ import annotations

import typer

from tdcoord.cli.opf_dc import dc
from tdcoord.cli.opf_feeder import feeder
from tdcoord.cli.opf_joint import joint

app = typer.Typer(
    help="Optimal power flow and prices (LMP, DLMP).", no_args_is_help=True, rich_markup_mode=None
)
app.command("dc", help="Transmission DC-OPF: objective, LMPs with components, binding branches.")(
    dc
)
app.command("feeder", help="Feeder OPF (LinDistFlow or SOCP): voltages, losses, DLMPs.")(feeder)
app.command("joint", help="Joint T+D OPF: LMPs, DLMPs, interface flows and congestion.")(joint)
