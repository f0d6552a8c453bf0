using System.Diagnostics;
using System.Globalization;
using System.Text;
using StChat.Testing;

namespace StChat.Web.Tests.Infrastructure;

// `StChat.Server serve` as a real process on a free loopback port: ingest, chat and the browser client, as `up` runs it.
// Also `chat` or `ingest` alone (ingest listens on Ingest:Url), with more settings in their environment form.
public sealed class ServeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServeProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public Uri HttpUri => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

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

    public static Task<ServeProcess> StartAsync(string postgres, string natsUrl, CancellationToken ct = default,
        IReadOnlyDictionary<string, string>? environment = null, int? port = null) =>
        StartAsync("serve", postgres, natsUrl, environment ?? new Dictionary<string, string>(), ct, port);

    // `environment`: more settings in their environment form, e.g. Chat__AllowedOrigins__0.
    // `port`: the port of a process started before, to stand in for it after a restart.
    // `untilStarted`: false returns as soon as the process runs, before it listens.
    public static async Task<ServeProcess> StartAsync(string command, string postgres, string natsUrl,
        IReadOnlyDictionary<string, string> environment, CancellationToken ct = default, int? port = null, bool untilStarted = true)
    {
        var listenPort = port ?? TestPorts.GetFreeTcpPort();
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Repository.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[Repository.ServerDll, command, "--urls", $"http://127.0.0.1:{listenPort.ToString(CultureInfo.InvariantCulture)}"])
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["ConnectionStrings__Postgres"] = postgres;
        info.Environment["Nats__Url"] = natsUrl;
        // A page taken offline leaves a half-open socket behind; short keep-alives let the server notice it quickly.
        info.Environment["Chat__KeepAliveInterval"] = "00:00:02";
        info.Environment["Chat__KeepAliveTimeout"] = "00:00:03";
        info.Environment["Ingest__Url"] = $"http://127.0.0.1:{listenPort.ToString(CultureInfo.InvariantCulture)}";
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var serve = new ServeProcess(process, listenPort);
        process.OutputDataReceived += (_, e) => serve.Append(e.Data);
        process.ErrorDataReceived += (_, e) => serve.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            if (untilStarted)
            {
                await serve.WaitUntilServingAsync(ct);
            }

            return serve;
        }
        catch
        {
            await serve.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private async Task WaitUntilServingAsync(CancellationToken ct)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_process.StartInfo.ArgumentList[1]} exited with {_process.ExitCode} during start-up:\n{Log}");
            }

            try
            {
                if (await ServerStart.HasStartedAsync(http, HttpUri, ct))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!ct.IsCancellationRequested)
            {
                // One slow answer while the machine is busy.
            }

            if (clock.Elapsed > StartTimeout)
            {
                throw new TimeoutException($"{_process.StartInfo.ArgumentList[1]} did not finish starting (GET / answered 503 or nothing) within {StartTimeout}:\n{Log}");
            }

            await Task.Delay(100, ct);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
