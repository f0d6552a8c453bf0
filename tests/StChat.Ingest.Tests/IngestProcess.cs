using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace StChat.Ingest.Tests;

// `dotnet StChat.Server.dll ingest` as a separate OS process, configured through environment variables as in production.
internal sealed class IngestProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private IngestProcess(Process process)
    {
        _process = process;
    }

    public string Output => string.Join(Environment.NewLine, _output);

    public bool HasExited => _process.HasExited;

    /// <summary>The worker id the process names itself by: host/pid.</summary>
    public string WorkerId => $"{Environment.MachineName}/{Pid.ToString(CultureInfo.InvariantCulture)}";

    public int Pid => _process.Id;

    /// <summary>Messages consumed according to the process's latest progress line; 0 before the first.</summary>
    public long Consumed => _output.Reverse().Select(l => ProgressLine.Match(l)).FirstOrDefault(m => m.Success) is { } m
        ? long.Parse(m.Groups["consumed"].Value, CultureInfo.InvariantCulture)
        : 0;

    public static IngestProcess Start(string postgres, string natsUrl, string stream, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { ServerDll.Value, "ingest" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["ConnectionStrings__Postgres"] = postgres;
        info.Environment["Nats__Url"] = natsUrl;
        info.Environment["Ingest__Stream"] = stream;
        info.Environment["Ingest__Consumer"] = stream + "-ingest";
        info.Environment["Ingest__ProgressInterval"] = "00:00:01";
        info.Environment["Ingest__RetryMaxDelay"] = "00:00:01";
        info.Environment["Ingest__Url"] = "http://127.0.0.1:0";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var started = new IngestProcess(process);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    public bool OutputContains(string text) => _output.Any(l => l.Contains(text, StringComparison.Ordinal));

    /// <summary>Waits for the process to end by itself; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no chance to commit, acknowledge or give anything back.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM and wait for a clean exit; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan patience)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(patience);
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static readonly System.Text.RegularExpressions.Regex ProgressLine =
        new(@"Ingest progress of worker \S+: [\d.]+ msgs/s; totals: (?<consumed>\d+) consumed");

    private void Append(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
        }
    }

    // The server is built next to this test project (same configuration) by the ProjectReference.
    private static readonly Lazy<string> ServerDll = new(() =>
    {
        var configuration = typeof(IngestProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StChat.sln")))
            {
                var dll = Path.Combine(dir.FullName, "src", "StChat.Server", "bin", configuration, "net10.0", "StChat.Server.dll");
                return File.Exists(dll)
                    ? dll
                    : throw new FileNotFoundException($"Build the server first: dotnet build src/StChat.Server -c {configuration}", dll);
            }
        }

        throw new InvalidOperationException($"StChat.sln was not found above {AppContext.BaseDirectory}.");
    });
}
