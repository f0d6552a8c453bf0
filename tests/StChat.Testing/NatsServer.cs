using System.Collections.Concurrent;
using System.Diagnostics;

namespace StChat.Testing;

// A real nats-server child process on 127.0.0.1 and a random port, with its own JetStream store directory.
public sealed class NatsServer : IAsyncDisposable
{
    private const string ReadyLine = "Server is ready";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RestartPortTimeout = TimeSpan.FromSeconds(10);

    // Servers whose owner never disposed them (an aborted run) are killed when the test process exits.
    private static readonly ConcurrentDictionary<NatsServer, byte> Live = new();

    private readonly string _executable;
    private readonly NatsServerOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private Process? _process;
    private ProcessLog _log = new();
    private bool _disposed;

    static NatsServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAllLive();

    private NatsServer(string executable, NatsServerOptions options, int port, string storeDirectory)
    {
        _executable = executable;
        _options = options;
        Port = port;
        StoreDirectory = storeDirectory;
    }

    public string Url => $"nats://127.0.0.1:{Port}";

    public int Port { get; private set; }

    public string StoreDirectory { get; }

    /// <summary>Everything the current (or last) server process wrote to stdout and stderr.</summary>
    public string Log => _log.ToString();

    /// <summary>The server's process id while it runs.</summary>
    public int? ProcessId => IsRunning ? _process!.Id : null;

    /// <summary>Whether the server process is running (it is not after <see cref="KillAsync"/> or <see cref="StopAsync"/>).</summary>
    public bool IsRunning => _process is { HasExited: false };

    public static async Task<NatsServer> StartAsync(NatsServerOptions? options = null, CancellationToken ct = default)
    {
        var store = Directory.CreateTempSubdirectory("stchat-nats-").FullName;
        var server = new NatsServer(FindExecutable(), options ?? new NatsServerOptions(), 0, store);
        Live.TryAdd(server, 0);
        try
        {
            // A fresh port can be taken by someone else between probing and binding; pick another one then.
            for (var attempt = 1; ; attempt++)
            {
                server.Port = TestPorts.GetFreeTcpPort();
                if (await server.TryLaunchAsync(ct))
                {
                    return server;
                }

                if (attempt == 5 || !server.PortWasTaken)
                {
                    throw server.StartFailure("exited before it was ready");
                }
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    // A server on a port chosen by the caller: a cluster node, whose peers' routes name its ports before it starts.
    // Null when one of its ports was taken (the caller picks new ports for the whole cluster); the store is the
    // caller's, and is deleted when the server is disposed.
    internal static async Task<NatsServer?> TryStartOnAsync(
        NatsServerOptions options, int port, string storeDirectory, CancellationToken ct)
    {
        var server = new NatsServer(FindExecutable(), options, port, storeDirectory);
        Live.TryAdd(server, 0);
        try
        {
            if (await server.TryLaunchAsync(ct))
            {
                return server;
            }

            if (!server.PortWasTaken)
            {
                throw server.StartFailure("exited before it was ready");
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        await server.DisposeAsync();
        return null;
    }

    /// <summary>SIGKILL: the server gets no chance to flush or say goodbye.</summary>
    public async Task KillAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await KillCoreAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>SIGTERM, then wait for the process to exit (killed if it takes longer than 10 seconds).</summary>
    public async Task StopAsync()
    {
        await _gate.WaitAsync();
        try
        {
            var process = _process;
            if (process is null || process.HasExited)
            {
                return;
            }

            _ = NativeMethods.Kill(process.Id, NativeMethods.SigTerm);
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await process.WaitForExitAsync(patience.Token);
            }
            catch (OperationCanceledException)
            {
                await KillCoreAsync();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Starts the server again on the same port and store directory and waits until it accepts clients.</summary>
    public async Task RestartAsync(CancellationToken ct = default)
    {
        await _gate.WaitAsync(ct);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            await KillCoreAsync();

            // The port may still be held briefly (a lingering socket, or a client racing for it): retry until it binds.
            var clock = Stopwatch.StartNew();
            while (!await TryLaunchAsync(ct))
            {
                if (clock.Elapsed > RestartPortTimeout || !PortWasTaken)
                {
                    throw StartFailure("exited before it was ready");
                }

                await Task.Delay(100, ct);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            await KillCoreAsync();
            Live.TryRemove(this, out _);
            DeleteStore();
        }
        finally
        {
            _gate.Release();
        }
    }

    private static string FindExecutable() => ExecutableLocator.FindOnPath("nats-server") ?? throw new InvalidOperationException(
        "nats-server was not found on PATH. Install it with `sudo apt-get install nats-server`, " +
        "or run the tests through `./stchat test`, which installs it.");

    private static void KillAllLive()
    {
        foreach (var server in Live.Keys)
        {
            try
            {
                server._process?.Kill();
                server.DeleteStore();
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
        }
    }

    // Returns false when the process exited before it was ready (typically: port in use); throws on timeout.
    private async Task<bool> TryLaunchAsync(CancellationToken ct)
    {
        _log = new ProcessLog();
        var process = new Process { StartInfo = BuildStartInfo(), EnableRaisingEvents = true };
        _log.Attach(process);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < StartTimeout)
        {
            if (process.HasExited)
            {
                // Drain the redirected streams so the log holds the reason.
                await process.WaitForExitAsync(ct);
                return false;
            }

            if (_log.Contains(ReadyLine) && await TestPorts.AcceptsConnectionsAsync(Port, ct))
            {
                return true;
            }

            await Task.Delay(20, ct);
        }

        await KillCoreAsync();
        throw StartFailure($"did not become ready within {StartTimeout.TotalSeconds} s");
    }

    private bool PortWasTaken => _log.Contains("address already in use");

    private ProcessStartInfo BuildStartInfo()
    {
        var info = new ProcessStartInfo(_executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var args = info.ArgumentList;
        args.Add("--addr");
        args.Add("127.0.0.1");
        args.Add("--port");
        args.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_options.JetStream)
        {
            args.Add("--jetstream");
            args.Add("--store_dir");
            args.Add(StoreDirectory);
        }

        if (_options.User is not null)
        {
            args.Add("--user");
            args.Add(_options.User);
            args.Add("--pass");
            args.Add(_options.Password ?? "");
        }

        if (_options.Token is not null)
        {
            args.Add("--auth");
            args.Add(_options.Token);
        }

        if (_options.TlsCertFile is not null || _options.TlsKeyFile is not null)
        {
            args.Add("--tls");
            args.Add("--tlscert");
            args.Add(_options.TlsCertFile ?? throw new InvalidOperationException("TLS needs TlsCertFile as well as TlsKeyFile."));
            args.Add("--tlskey");
            args.Add(_options.TlsKeyFile ?? throw new InvalidOperationException("TLS needs TlsKeyFile as well as TlsCertFile."));
        }

        foreach (var extra in _options.ExtraArgs)
        {
            args.Add(extra);
        }

        return info;
    }

    private async Task KillCoreAsync()
    {
        var process = _process;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }

        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
    }

    private InvalidOperationException StartFailure(string what) => new(
        $"nats-server on 127.0.0.1:{Port} {what}. " +
        $"Command: {_executable} {string.Join(' ', BuildStartInfo().ArgumentList)}\nServer log:\n{_log}");

    private void DeleteStore()
    {
        try
        {
            Directory.Delete(StoreDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }
}
