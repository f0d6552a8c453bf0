using StChat.Testing;

namespace StChat.Bench;

// What every scenario shares: the settings, the servers this run started, and where the programs under test live.
internal sealed class BenchEnvironment(BenchSettings settings, NatsServer nats, BenchPostgres postgres, string repoRoot)
{
    public BenchSettings Settings { get; } = settings;

    public NatsServer Nats { get; } = nats;

    public BenchPostgres Postgres { get; } = postgres;

    public string RepoRoot { get; } = repoRoot;

    public string ServerDll => Path.Combine(RepoRoot, "src/StChat.Server/bin/Release/net10.0/StChat.Server.dll");

    public string NodeDirectory => Path.Combine(RepoRoot, "bench/node");

    public static void Log(string message) =>
        Console.Error.WriteLine($"bench {DateTime.Now:HH:mm:ss} {message}");

    // The StChat.Server executable as deployed, with the given command and configuration.
    public Task<ChildProcess> StartServerAsync(string command, string readyText, IReadOnlyDictionary<string, string> env, string[] args, CancellationToken ct)
    {
        var environment = new Dictionary<string, string>(env)
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__StChat.Ingest"] = "Information",
            ["Logging__LogLevel__StChat.Chat"] = "Information",

            // Workers started side by side must not share ingest's health and metrics port.
            ["Ingest__Url"] = "http://127.0.0.1:0",
        };
        return ChildProcess.StartAsync("dotnet", [ServerDll, command, .. args], readyText, environment, TimeSpan.FromSeconds(60), ct);
    }

    public Task<ChildProcess> StartNodeAsync(string script, string[] args, string readyText, CancellationToken ct) =>
        ChildProcess.StartAsync("node", [Path.Combine(NodeDirectory, script), .. args], readyText, null, TimeSpan.FromSeconds(30), ct);
}
