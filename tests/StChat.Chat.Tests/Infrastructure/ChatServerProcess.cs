using System.Diagnostics;
using System.Text;
using StChat.Testing;

namespace StChat.Chat.Tests.Infrastructure;

// The built StChat.Server.dll run as `dotnet StChat.Server.dll chat --urls ...` (or serve, or feeds), a separate process
// that can be killed for real.
public sealed class ChatServerProcess : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StringBuilder _log = new();
    private Process? _process;

    // `environment`: more settings in their environment form, e.g. Chat__Bus=nats.
    public ChatServerProcess(string connectionString, IReadOnlyDictionary<string, string>? environment = null)
    {
        _connectionString = connectionString;
        _environment = environment ?? new Dictionary<string, string>();
        Port = TestPorts.GetFreeTcpPort();
    }

    public int Port { get; }

    // The server command: chat, or serve (ingest beside chat), or feeds (with Arguments such as --count).
    public string Command { get; init; } = "chat";

    public IReadOnlyList<string> Arguments { get; init; } = [];

    // Listen on https:// (the certificate comes from the Chat:Tls settings in the environment): wss:// clients.
    public bool Tls { get; init; }

    public Uri BaseUri => new($"{(Tls ? "wss" : "ws")}://127.0.0.1:{Port}/");

    public Uri HttpUri => new($"{(Tls ? "https" : "http")}://127.0.0.1:{Port}/");

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public Uri Room(string room, string query) => new(BaseUri, $"rooms/{room}?{query}");

    public async Task StartAsync()
    {
        var process = Launch();
        // The probe only asks whether the server has started; the tests check the certificate themselves.
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.Until(async () =>
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"stchat chat exited with {process.ExitCode}:\n{Log}");
            }

            return await ServerStart.HasStartedAsync(http, HttpUri);
        }, TimeSpan.FromSeconds(60), $"stchat chat has started on port {Port}");
    }

    // For a command that ends on its own (feeds --count) or a server expected to refuse its configuration: starts it and
    // returns its exit code.
    public async Task<int> RunUntilExitAsync()
    {
        var process = Launch();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode;
    }

    private Process Launch()
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(ServerDll());
        info.ArgumentList.Add(Command);
        if (Command != "feeds")
        {
            info.ArgumentList.Add("--urls");
            info.ArgumentList.Add($"{(Tls ? "https" : "http")}://127.0.0.1:{Port}");
        }

        foreach (var argument in Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment["ConnectionStrings__Postgres"] = _connectionString;
        info.Environment["Logging__LogLevel__Default"] = "Information";
        foreach (var (key, value) in LiftedLimits.Chat)
        {
            info.Environment[$"Chat__{key}"] = value;
        }

        foreach (var (key, value) in _environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        return process;
    }

    public async Task KillAsync()
    {
        var process = _process ?? throw new InvalidOperationException("Not started.");
        process.Kill(entireProcessTree: false);   // SIGKILL: no shutdown code runs
        await process.WaitForExitAsync();
    }

    public async Task TerminateAsync()
    {
        var process = _process ?? throw new InvalidOperationException("Not started.");
        using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            await KillAsync();
        }

        _process?.Dispose();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }

    // The server built next to this test assembly's configuration: <repo>/src/StChat.Server/bin/<Configuration>/net10.0.
    private static string ServerDll()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = dir.Parent?.Name ?? "Debug";
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StChat.sln")))
        {
            dir = dir.Parent;
        }

        if (dir is null)
        {
            throw new InvalidOperationException("StChat.sln not found above " + AppContext.BaseDirectory);
        }

        var dll = Path.Combine(dir.FullName, "src", "StChat.Server", "bin", configuration, "net10.0", "StChat.Server.dll");
        return File.Exists(dll)
            ? dll
            : throw new InvalidOperationException($"{dll} does not exist; build it first: dotnet build src/StChat.Server -c {configuration}");
    }
}
