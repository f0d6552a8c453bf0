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

    // The Bun binary that `npm ci` in bench/node installs (npm `bun`, pinned in package.json), or null.
    public static string? FindBun(string repoRoot)
    {
        var modules = Path.Combine(repoRoot, "bench/node/node_modules");
        var arch = System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.Arm64 ? "aarch64" : "x64";
        // Bun's postinstall moves the binary from its platform package to bun/bin/bun.exe; when install scripts were
        // skipped it stays where the platform package put it, and bun.exe is a shell script that only prints an error.
        string[] candidates = [Path.Combine(modules, "bun/bin/bun.exe"), Path.Combine(modules, $"@oven/bun-linux-{arch}/bin/bun")];
        return candidates.FirstOrDefault(IsExecutable);

        static bool IsExecutable(string path)
        {
            if (!File.Exists(path))
            {
                return false;
            }

            Span<byte> magic = stackalloc byte[4];
            using var file = File.OpenRead(path);
            return file.Read(magic) == 4 && magic.SequenceEqual("\u007fELF"u8);
        }
    }

    public const string BunMissing = "Bun is not installed for the benchmark peers; install it with: (cd bench/node && npm ci)";

    public Task<ChildProcess> StartNodeAsync(string script, string[] args, string readyText, CancellationToken ct) =>
        StartPeerAsync("node", script, args, readyText, ct);

    public Task<ChildProcess> StartBunAsync(string script, string[] args, string readyText, CancellationToken ct) =>
        StartPeerAsync(FindBun(RepoRoot) ?? throw new InvalidOperationException(BunMissing), script, args, readyText, ct);

    // A peer program from bench/node, run by `runtime` (node or the Bun binary).
    private Task<ChildProcess> StartPeerAsync(string runtime, string script, string[] args, string readyText, CancellationToken ct) =>
        ChildProcess.StartAsync(runtime, [Path.Combine(NodeDirectory, script), .. args], readyText, null, TimeSpan.FromSeconds(30), ct);
}
