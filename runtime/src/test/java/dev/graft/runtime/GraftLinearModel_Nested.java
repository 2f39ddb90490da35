package dev.graft.runtime;

/** What the naming rule expects for {@link LinearModel.Nested}. */
public class GraftLinearModel_Nested extends GraftLinearModel {}
