using StChat.Web.Tests.Infrastructure;
using Xunit;

namespace StChat.Web.Tests;

// No Docker engine runs in CI; `docker-compose config` still parses the file, resolves the variables, anchors and
// depends_on conditions, and fails on anything the compose schema does not allow.
public sealed class DockerComposeTests
{
    [Fact]
    public async Task Compose_file_is_valid()
    {
        var compose = ExternalTool.Require("docker-compose", "docker-compose");

        var (exitCode, output) = await ExternalTool.RunAsync(
            compose, ["-f", "docker-compose.yml", "config", "-q"], Repository.Root, TimeSpan.FromMinutes(2));

        Assert.True(exitCode == 0, $"docker-compose config exited with {exitCode}:\n{output}");
    }

    [Fact]
    public async Task Compose_runs_every_process_of_the_local_stack()
    {
        var compose = ExternalTool.Require("docker-compose", "docker-compose");

        var (exitCode, output) = await ExternalTool.RunAsync(
            compose, ["-f", "docker-compose.yml", "config", "--services"], Repository.Root, TimeSpan.FromMinutes(2));

        Assert.Equal(0, exitCode);
        var services = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order().ToArray();
        Assert.Equal(["chat", "feeds", "ingest", "migrate", "nats", "nginx", "postgres"], services);
    }
}
