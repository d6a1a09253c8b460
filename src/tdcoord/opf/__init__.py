"""The optimisation engine: sparse LP/QP programs solved by HiGHS or Clarabel.

Subpackages (each exports its public API; nothing here is imported eagerly):

* :mod:`tdcoord.opf.lp` — problem form, builder, HiGHS solves, warm re-solves, conic solves;
* :mod:`tdcoord.opf.transmission` — multi-period DC-OPF and LMPs;
* :mod:`tdcoord.opf.feeder` — LinDistFlow / SOCP feeder OPF and DLMPs;
* :mod:`tdcoord.opf.joint` — joint T+D OPF (monolithic, Benders, screened).

The engine never imports ``coordination``, ``market``, ``simulation`` or ``cli``.
"""
