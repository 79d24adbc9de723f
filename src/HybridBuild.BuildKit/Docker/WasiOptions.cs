namespace HybridBuild.BuildKit.Docker;

/// <summary>
/// "Engine:Wasi": how a verification stage runs a <c>wasi/wasm</c> image on an engine without a wasm runtime shim: the
/// module is copied out of the image into a helper container of <see cref="Image"/>, which runs it with <see cref="Command"/>.
/// </summary>
public sealed record WasiOptions
{
    /// <summary>An image with a WASI runtime, e.g. one built <c>FROM debian:trixie-slim</c> with <c>apt-get install -y wasmedge</c>; it needs a /tmp. Unset: such images cannot be verified.</summary>
    public string? Image { get; init; }

    /// <summary>The runtime's command line before the module's path and arguments.</summary>
    public List<string> Command { get; init; } = ["wasmedge"];

    /// <summary>The runtime's option that sets one environment variable (<c>--env NAME=VALUE</c> for wasmedge and wasmtime).</summary>
    public string EnvOption { get; init; } = "--env";
}
