using System.Globalization;
using StChat.Testing;

namespace StChat.Web.Tests.Infrastructure;

// docker-compose.yml run for real under a project name of its own, on free loopback ports, with the nats:2.9
// stand-in image and its configuration file.
internal sealed class ComposeProject
{
    public const string NatsImageForTests = "nats:2.9";

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    private readonly string _compose = ExternalTool.Require("docker-compose", "docker-compose");
    private readonly string _subnetOctet;

    public ComposeProject()
    {
        Name = $"stchat-test-{Guid.NewGuid():N}"[..24];
        NginxPort = TestPorts.GetFreeTcpPort();
        // A subnet of its own too, so that projects of parallel runs do not claim the same address pool.
        _subnetOctet = System.Security.Cryptography.RandomNumberGenerator.GetInt32(100, 200).ToString(CultureInfo.InvariantCulture);
    }

    public string Name { get; }

    public int NginxPort { get; }

    public Uri NginxUri => new($"http://127.0.0.1:{NginxPort.ToString(CultureInfo.InvariantCulture)}/");

    public Task<(int ExitCode, string Output)> BuildAsync() => RunAsync(["build"], BuildTimeout);

    public Task<(int ExitCode, string Output)> UpAsync(int chatReplicas = 1) =>
        RunAsync(["up", "-d", "--scale", $"chat={chatReplicas.ToString(CultureInfo.InvariantCulture)}"], CommandTimeout);

    public Task<(int ExitCode, string Output)> DownAsync() => RunAsync(["down", "-v", "--remove-orphans", "-t", "10"], CommandTimeout);

    public Task<(int ExitCode, string Output)> LogsAsync() => RunAsync(["logs", "--no-color", "--tail", "40"], CommandTimeout);

    public Task<(int ExitCode, string Output)> PsqlAsync(string sql) =>
        RunAsync(["exec", "-T", "postgres", "psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-U", "stchat", "-d", "stchat", "-c", sql], CommandTimeout);

    // What Docker still holds of this project: containers, volumes and networks carry compose's project label.
    public async Task<string> LeftoversAsync()
    {
        var docker = ExternalTool.Require("docker", "docker.io");
        var filter = $"label=com.docker.compose.project={Name}";
        var found = new List<string>();
        foreach (var kind in (string[][])[["ps", "-a", "-q"], ["volume", "ls", "-q"], ["network", "ls", "-q"]])
        {
            var (exitCode, output) = await ExternalTool.RunAsync(docker, [.. kind, "--filter", filter], Repository.Root, CommandTimeout);
            if (exitCode != 0 || output.Trim().Length > 0)
            {
                found.Add($"docker {string.Join(' ', kind)} (exit {exitCode}): {output.Trim()}");
            }
        }

        return string.Join('\n', found);
    }

    private Task<(int ExitCode, string Output)> RunAsync(string[] args, TimeSpan timeout) =>
        ExternalTool.RunAsync(_compose, ["-p", Name, "-f", "docker-compose.yml", .. args], Repository.Root, timeout, Environment());

    private Dictionary<string, string> Environment() => new()
    {
        ["STCHAT_NGINX_PORT"] = NginxPort.ToString(CultureInfo.InvariantCulture),
        // The engine picks each chat replica's host port; the tests go through nginx.
        ["STCHAT_CHAT_PORTS"] = "",
        ["STCHAT_NATS_IMAGE"] = NatsImageForTests,
        ["STCHAT_NATS_CONFIG"] = "nats-server-2.9.conf",
        ["STCHAT_IMAGE"] = "stchat:compose-test",
        ["STCHAT_FEEDS_RATE"] = "20",
        ["STCHAT_SUBNET"] = $"172.29.{_subnetOctet}.0/24",
        ["STCHAT_NGINX_IP"] = $"172.29.{_subnetOctet}.250",
    };
}
