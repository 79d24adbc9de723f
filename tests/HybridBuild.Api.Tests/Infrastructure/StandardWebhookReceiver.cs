using System.Collections.Concurrent;
using Microsoft.AspNetCore.Http;

namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>
/// A receiver of Standard Webhooks on loopback that verifies each delivery as the specification tells receivers to:
/// <c>webhook-id</c>, <c>webhook-timestamp</c> (within five minutes) and <c>webhook-signature</c> (a space-separated
/// list, one <c>v1,</c> entry matching the base64 HMAC-SHA256 of <c>{id}.{timestamp}.{body}</c> under the secret's
/// base64-decoded part), a JSON body with <c>type</c>, <c>timestamp</c> and <c>data</c>. Unverified deliveries get 401;
/// verified ones 200, or 500 while <see cref="FailNext"/> asks for failures. Every request is recorded.
/// </summary>
public sealed class StandardWebhookReceiver : IAsyncDisposable
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);
    private readonly byte[] _key;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private int _failures;
    private LoopbackApp _app = null!;

    private StandardWebhookReceiver(string secret) => _key = Convert.FromBase64String(secret["whsec_".Length..]);

    public string Url(string path = "/hook") => $"{_app.Url.ToString().TrimEnd('/')}{path}";

    public IReadOnlyList<ReceivedWebhook> Received => _received.ToArray();

    public static async Task<StandardWebhookReceiver> StartAsync(string secret)
    {
        var receiver = new StandardWebhookReceiver(secret);
        receiver._app = await LoopbackApp.StartAsync(receiver.HandleAsync);
        return receiver;
    }

    /// <summary>The next <paramref name="count"/> verified deliveries are answered 500.</summary>
    public void FailNext(int count) => Interlocked.Exchange(ref _failures, count);

    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(Func<IReadOnlyList<ReceivedWebhook>, bool> done, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!done(Received))
        {
            if (watch.Elapsed > timeout) Assert.Fail($"the receiver did not get what was expected within {timeout}: {string.Join(" | ", Received)}");
            await Task.Delay(200);
        }
        return Received;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var (id, stamp, signature) = (context.Request.Headers["webhook-id"].ToString(), context.Request.Headers["webhook-timestamp"].ToString(),
            context.Request.Headers["webhook-signature"].ToString());
        var why = Verify(context.Request, id, stamp, signature, body);
        var answer = why is not null ? 401 : Interlocked.Decrement(ref _failures) >= 0 ? 500 : 200;
        _received.Enqueue(new ReceivedWebhook(id, why is null ? JsonNode.Parse(body)!["type"]!.GetValue<string>() : null, body, why, answer));
        context.Response.StatusCode = answer;
    }

    private string? Verify(HttpRequest request, string id, string stamp, string signature, string body)
    {
        if (request.Method != "POST") return $"method {request.Method}";
        if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true) return $"Content-Type {request.ContentType}";
        if (id.Length == 0 || stamp.Length == 0 || signature.Length == 0) return "a webhook-id, webhook-timestamp or webhook-signature header is missing";
        if (!long.TryParse(stamp, out var seconds) || (DateTimeOffset.UtcNow - DateTimeOffset.FromUnixTimeSeconds(seconds)).Duration() > Tolerance)
            return $"webhook-timestamp {stamp} is not a time within {Tolerance} of now";
        var expected = Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{id}.{stamp}.{body}")));
        var matches = signature.Split(' ').Any(entry => entry.StartsWith("v1,", StringComparison.Ordinal)
            && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(entry[3..]), Encoding.ASCII.GetBytes(expected)));
        if (!matches) return "no v1 signature matches";
        try
        {
            var payload = JsonNode.Parse(body)!.AsObject();
            if (payload["type"]?.GetValue<string>() is null || payload["timestamp"]?.GetValue<string>() is null || payload["data"] is not JsonObject)
                return "the payload lacks type, timestamp or data";
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { return "the body is not a JSON object"; }
        return null;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}

/// <summary>One request the receiver got: its webhook-id, the verified event type (null when it did not verify), and the answer it gave.</summary>
public sealed record ReceivedWebhook(string Id, string? Type, string Body, string? Refused, int Answer);
