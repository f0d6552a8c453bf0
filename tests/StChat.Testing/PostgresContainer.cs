using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using Testcontainers.PostgreSql;

namespace StChat.Testing;

// A PostgreSQL server in its own Docker container (Testcontainers), published on a fixed loopback port: a container
// that is stopped or killed and started again keeps its port, so clients reconnect to the same address.
internal sealed class PostgresContainer : IPostgresServer
{
    /// <summary>Image of the test servers; the default is the one docker-compose.yml runs.</summary>
    public const string ImageVariable = "STCHAT_TEST_POSTGRES_IMAGE";

    private const string DefaultImage = "postgres:15";
    private const string Superuser = "postgres";
    private const int ServerPort = 5432;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(2);

    private readonly PostgreSqlContainer _container;
    private readonly string _password;
    private readonly int _port;

    private PostgresContainer(PostgreSqlContainer container, string password, int port)
    {
        _container = container;
        _password = password;
        _port = port;
    }

    public string AdminConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = _port,
        Username = Superuser,
        Password = _password,
        Database = "postgres",
        IncludeErrorDetail = true,
    }.ConnectionString;

    public string? ContainerId => _container.Id;

    public static async Task<PostgresContainer> CreateAsync(CancellationToken ct)
    {
        var image = Environment.GetEnvironmentVariable(ImageVariable) is { Length: > 0 } configured ? configured : DefaultImage;

        // A port the kernel just called free can be taken before Docker binds it; pick another one then.
        for (var attempt = 1; ; attempt++)
        {
            var port = TestPorts.GetFreeTcpPort();
            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
            var container = Build(image, port, password);
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(StartTimeout);
                await container.StartAsync(timeout.Token);
                DockerEngine.RemoveWhenProcessExits(container.Id);
                return new PostgresContainer(container, password, port);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                var id = container.Id;
                await container.DisposeAsync();
                if (!string.IsNullOrEmpty(id))
                {
                    DockerEngine.Remove(id);
                }

                if (attempt == 5 || !e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException(
                        $"The PostgreSQL container ({image}) did not start on 127.0.0.1:{port}: {e.Message}\n" +
                        $"Without Docker the tests use the local PostgreSQL binaries; set {DockerEngine.SwitchVariable}=false to use them " +
                        $"now, or {ImageVariable} to another image.", e);
                }
            }
        }
    }

    // docker stop: SIGINT (the image's stop signal), PostgreSQL's fast shutdown.
    public Task StopAsync(CancellationToken ct) => _container.StopAsync(ct);

    public async Task StartAgainAsync(CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(StartTimeout);
        await _container.StartAsync(timeout.Token);
    }

    // Testcontainers has no kill; the CLI sends the signal, then the container is waited for until it has exited.
    public async Task KillAsync(CancellationToken ct)
    {
        await DockerEngine.RunCheckedAsync(["kill", "-s", "KILL", _container.Id], ct);
        await Eventually.Until(async () => await DockerEngine.RunCheckedAsync(["inspect", "-f", "{{.State.Running}}", _container.Id], ct) == "false",
            TimeSpan.FromSeconds(30), $"container {_container.Id} should exit after SIGKILL");
    }

    // The cgroup freezer stops every process; the kernel still accepts TCP connections that then get no answer.
    public Task PauseAsync(CancellationToken ct) => _container.PauseAsync(ct);

    public Task UnpauseAsync(CancellationToken ct) => _container.UnpauseAsync(ct);

    public void Destroy() => DockerEngine.Remove(_container.Id);

    // fsync and full_page_writes off (the Testcontainers defaults) for speed: a killed container loses nothing it
    // handed to the kernel. synchronous_commit back on: with it off, a commit returns before its WAL is written, and a
    // SIGKILL would lose it, failing crash tests of exactly-once storage for the wrong reason.
    private static PostgreSqlContainer Build(string image, int port, string password) => new PostgreSqlBuilder(image)
        .WithName($"stchat-test-pg-{port.ToString(CultureInfo.InvariantCulture)}-{Guid.NewGuid():N}"[..40])
        .WithUsername(Superuser)
        .WithPassword(password)
        .WithDatabase("postgres")
        .WithPortBinding(port, ServerPort)
        .WithCommand("-c", "synchronous_commit=on", "-c", "max_connections=300")
        .WithLabel(DockerEngine.Label, "postgres")
        .WithLabel(DockerEngine.OwnerLabel, DockerEngine.Owner)
        .WithCreateParameterModifier(parameters =>
        {
            // Testcontainers publishes on every interface; the tests only ever connect through loopback.
            foreach (var binding in parameters.HostConfig?.PortBindings?.Values.SelectMany(b => b) ?? [])
            {
                binding.HostIP = "127.0.0.1";
            }
        })
        .Build();
}
