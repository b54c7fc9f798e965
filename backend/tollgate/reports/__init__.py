"""The monthly usage report: figures computed from a client's month of usage aggregates, optimisation hints,
and the renderings (HTML, PDF, CSV, JSON) of those figures. Pure: the database side is `tollgate.reporting`."""
