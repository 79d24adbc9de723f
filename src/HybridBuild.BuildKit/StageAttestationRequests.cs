using HybridBuild.Core.Domain;

namespace HybridBuild.BuildKit;

/// <summary>
/// A stage's <c>attest</c> in BuildKit's words, for both engines: the kinds of attestation with their parameters
/// (<c>provenance</c> = <c>mode=max</c>, <c>sbom</c> = <c>generator=image</c>), and the failure of a solve whose SBOM
/// scanner image could not be had, told as such.
/// </summary>
internal static class StageAttestationRequests
{
    public static Dictionary<string, string> For(StageAttestations? attest, AttestationOptions options)
    {
        var kinds = new Dictionary<string, string>(StringComparer.Ordinal);
        if (attest?.Provenance is { } mode) kinds["provenance"] = $"mode={mode}";
        if (attest?.Sbom == true) kinds["sbom"] = $"generator={options.SbomGenerator}";
        return kinds;
    }

    /// <summary>
    /// BuildKit names the scanner image only in passing ("failed to resolve source metadata for docker.io/…"): when the
    /// stage asked for an SBOM and the error is about that image, the message says what it is and where it is configured.
    /// </summary>
    public static string Explain(string error, StageAttestations? attest, AttestationOptions options) =>
        attest?.Sbom == true && error.Contains(options.SbomGenerator, StringComparison.Ordinal)
            ? $"the SBOM scanner image {options.SbomGenerator} (Engine:Attestations:SbomGenerator) is not available to the builder, "
              + $"so the stage's SBOM (attest.sbom) cannot be made; load or mirror the image, or configure another: {error}"
            : error;
}
