using System.Text;
using Microsoft.Extensions.Logging;

namespace HybridBuild.Publishing.Artifactory;

/// <summary>The outcome of one deploy step: the last answer (success or not) and the requests it took.</summary>
internal sealed record DeployAnswer(HttpStatusCode Status, string? ReasonPhrase, string Body, int Attempts)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;
}

/// <summary>
/// Sends one deploy step with bounded retries and exponential back-off (with jitter, at least the server's
/// <c>Retry-After</c>) on 5xx, 429, connection failures and timed-out attempts. Other answers, 4xx included,
/// are returned at once: repeating them cannot help and could hide the cause.
/// </summary>
internal sealed partial class ArtifactoryTransport(HttpClient http, ArtifactoryPublisherOptions options, ILogger logger)
{
    public async Task<DeployAnswer> SendAsync(
        PublishTarget target, string path, string step, Func<CancellationToken, Task<HttpRequestMessage>> createRequest, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            ct.ThrowIfCancellationRequested();
            using var attemptCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            attemptCts.CancelAfter(options.AttemptTimeout);
            string failure;
            TimeSpan? retryAfter = null;
            // outside the retried part: a blob that cannot be opened is not the server's fault
            using var request = await createRequest(attemptCts.Token).ConfigureAwait(false);
            Authorize(request, target.Credentials);
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, attemptCts.Token)
                    .ConfigureAwait(false);
                var body = await response.Content.ReadAsStringAsync(attemptCts.Token).ConfigureAwait(false);
                var answer = new DeployAnswer(response.StatusCode, response.ReasonPhrase, body, attempt);
                if (!IsTransient(response.StatusCode) || attempt >= options.MaxAttempts)
                    return answer;
                failure = $"{(int)response.StatusCode} {response.ReasonPhrase}";
                retryAfter = RetryAfter(response);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
            {
                // a refused or dropped connection, or an attempt that ran out of time (attemptCts, not ct)
                failure = e is OperationCanceledException ? $"no answer within {options.AttemptTimeout}" : e.Message;
                if (attempt >= options.MaxAttempts)
                    throw new PublishException(
                        $"Artifactory target '{target.Name}' could not be reached for the {step} of '{path}' after {attempt} attempts: {failure}",
                        null, null, e);
            }

            var delay = Backoff(attempt, retryAfter);
            LogRetry(logger, target.Name, step, path, attempt, failure, delay);
            await Task.Delay(delay, ct).ConfigureAwait(false);
        }
    }

    private static bool IsTransient(HttpStatusCode status) => (int)status >= 500 || status == HttpStatusCode.TooManyRequests;

    private TimeSpan Backoff(int attempt, TimeSpan? retryAfter)
    {
        var exponential = options.InitialBackoff.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var jittered = TimeSpan.FromMilliseconds(exponential * (0.75 + Random.Shared.NextDouble() * 0.5));
        var delay = retryAfter is { } server && server > jittered ? server : jittered;
        return delay > options.MaxBackoff ? options.MaxBackoff : delay;
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };

    private static void Authorize(HttpRequestMessage request, PublishCredentials? credentials)
    {
        if (credentials is null) return;
        request.Headers.Authorization = credentials.IsToken
            ? new AuthenticationHeaderValue("Bearer", credentials.AccessToken)
            : new AuthenticationHeaderValue("Basic",
                Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credentials.Username}:{credentials.Password}")));
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Artifactory target {Target}: {Step} of {Path} failed on attempt {Attempt} ({Failure}); retrying in {Delay}")]
    private static partial void LogRetry(ILogger logger, string target, string step, string path, int attempt, string failure, TimeSpan delay);
}
