using System.CommandLine;
using System.Net.Sockets;
using HybridBuild.Cli.Api;
using HybridBuild.Cli.Config;
using HybridBuild.Cli.Progress;

namespace HybridBuild.Cli.Commands;

/// <summary>The options every command takes, and the one place that turns failures into messages and exit codes.</summary>
internal static class Shared
{
    public static readonly Option<string> Url = new("--url")
    {
        Description = $"The service's address (default: ${CliConfig.UrlVariable}, else the config file)", Recursive = true,
    };

    public static readonly Option<string> Token = new("--token")
    {
        Description = $"An API key (visible to other users in the process list: prefer ${CliConfig.TokenVariable} or the config file)", Recursive = true,
    };

    public static Option<string> Progress() => new("--progress")
    {
        Description = "How progress is shown: auto, plain, tty, quiet", DefaultValueFactory = _ => "auto",
    };

    public static Option<bool> Quiet() => new("--quiet", "-q") { Description = "Show no progress; print the build's id when it succeeds" };

    /// <summary>Runs a command's body with a client for the configured service: 0/1 from the body, 1 for a service error, 2 for a usage error.</summary>
    public static async Task<int> RunAsync(ParseResult parse, Func<ServiceClient, Task<int>> body)
    {
        string? url = null;
        try
        {
            var config = CliConfig.Resolve(parse.GetValue(Url), parse.GetValue(Token), Console.Error.WriteLine);
            url = config.Url.ToString();
            using var client = new ServiceClient(config);
            return await body(client);
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 2;
        }
        catch (ServiceProblem problem)
        {
            foreach (var line in problem.Describe()) Console.Error.WriteLine(line);
            return 1;
        }
        catch (HttpRequestException e) when (e.InnerException is SocketException or IOException || e.HttpRequestError != HttpRequestError.Unknown)
        {
            var cause = e.GetBaseException();
            Console.Error.WriteLine($"error: cannot reach the service at {url}: {e.Message}{(cause == e ? "" : $" ({cause.Message})")}");
            return 1;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    public static Guid ParseId(string? text, string what = "BUILD") =>
        Guid.TryParse(text, out var id) ? id : throw new UsageException($"{what} '{text}' is not a build id (a GUID, as hbs ls shows)");

    public static ProgressMode ProgressOf(ParseResult parse, Option<string> progress) => ProgressModes.Parse(parse.GetValue(progress) ?? "auto");
}
