using System.ComponentModel.DataAnnotations;

namespace HybridBuild.Core.Specs;

/// <summary>Bounds on a submitted spec that an operator may set ("Limits" section, beside the limits on contexts).</summary>
public sealed record SpecLimits
{
    /// <summary>Most stages one matrix stage may expand into (its combinations, after <c>exclude</c>).</summary>
    [Range(1, SpecRules.MaxExpandedStages)]
    public int MaxMatrixCombinations { get; init; } = 32;
}
