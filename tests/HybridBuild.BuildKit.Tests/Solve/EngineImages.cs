namespace HybridBuild.BuildKit.Tests.Solve;

/// <summary>
/// Just enough of the Engine API to check that an image landed in dockerd's store, and to remove it. The tags it hands
/// out are removed (with their images) on dispose, whether the test passed or not.
/// </summary>
internal sealed class EngineImages : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly List<string> _tags = [];

    public EngineImages()
    {
        var address = BuildKitAddress.Parse("docker");
        var handler = new SocketsHttpHandler();
        if (address.SocketPath is { } socketPath)
        {
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }
        _http = new HttpClient(handler)
        {
            BaseAddress = new Uri(address.SocketPath is null ? $"http://{address.Host}:{address.Port}" : "http://docker"),
        };
    }

    /// <summary>A tag no other test uses, under <c>localhost/hybridbuild-test/</c>; removed on dispose.</summary>
    public string NewTag(string repository)
    {
        var tag = $"localhost/hybridbuild-test/{repository}:{Guid.NewGuid():N}";
        _tags.Add(tag);
        return tag;
    }

    public async Task<bool> ExistsAsync(string reference) =>
        (await _http.GetAsync($"/images/{Uri.EscapeDataString(reference)}/json")).IsSuccessStatusCode;

    /// <summary>A label of the image's config, or null when the image or the label is missing.</summary>
    public async Task<string?> LabelAsync(string reference, string label)
    {
        using var response = await _http.GetAsync($"/images/{Uri.EscapeDataString(reference)}/json");
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }
        using var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("Config").TryGetProperty("Labels", out var labels)
            && labels.ValueKind == System.Text.Json.JsonValueKind.Object && labels.TryGetProperty(label, out var value)
            ? value.GetString()
            : null;
    }

    public async Task RemoveAsync(string reference) =>
        await _http.DeleteAsync($"/images/{Uri.EscapeDataString(reference)}?force=1");

    public async ValueTask DisposeAsync()
    {
        foreach (var tag in _tags)
        {
            await RemoveAsync(tag);
        }
        _http.Dispose();
    }
}
