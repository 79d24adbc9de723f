namespace HybridBuild.Core.Specs;

public static partial class SpecValidator
{
    private static readonly string[] ProvenanceModes = ["min", "max"];

    /// <summary>
    /// A stage's <c>attest</c>: provenance <c>min</c> or <c>max</c>, and whether to add an SBOM. Every output a stage that
    /// builds can have takes them (BuildKit 0.13 writes them into an image's index, or beside an artifacts output's
    /// files); a verification stage builds nothing to attest. Null when nothing is asked for.
    /// </summary>
    private const string DockerTarballHoldsOneManifest =
        "a docker tarball holds one image manifest (the docker exporter of BuildKit 0.13, Docker 26.1's, writes no manifest lists)";

    /// <summary>A <c>docker</c> output of several platforms: the docker exporter cannot write the index they need.</summary>
    private static void CheckDockerTarball(string at, StageSpec spec, IReadOnlyList<string> platforms, ErrorBag errors)
    {
        if (spec.Output?.Type == OutputType.Docker && platforms.Count > 1)
            errors.Add($"{at}.platforms", DockerTarballHoldsOneManifest + "; use an oci output for several platforms");
    }

    private static StageAttestations? CheckAttest(string at, StageSpec spec, ErrorBag errors)
    {
        if (spec.Attest is not { } attest) return null;
        if (spec.Run is not null)
        {
            errors.Add(at, "a stage that runs a container builds nothing to attest: leave out attest");
            return null;
        }
        if ((spec.Output?.Type ?? OutputType.Artifacts) == OutputType.Docker)
            errors.Add(at, DockerTarballHoldsOneManifest + "; attestations need an index: use an oci output for an attested tarball");
        if (attest.Provenance is { } mode && !ProvenanceModes.Contains(mode, StringComparer.Ordinal)
            && errors.CheckText($"{at}.provenance", mode, TextKind.Name, 16))
            errors.Add($"{at}.provenance", $"'{mode}' is not a provenance mode: use one of {string.Join(", ", ProvenanceModes)}, or leave it out for none");
        return attest.Provenance is null && !attest.Sbom ? null : new StageAttestations { Provenance = attest.Provenance, Sbom = attest.Sbom };
    }
}
