using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using StChat.Testing;

namespace StChat.Web.Tests.Infrastructure;

// nginx from PATH with the repository's templates rendered the way `./stchat up --nginx` renders them, everything
// (pid, temp files, logs) under a temporary prefix, on a free port, in front of the given chat server.
public sealed class NginxProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _prefix;

    private NginxProcess(Process process, string prefix, int port)
    {
        _process = process;
        _prefix = prefix;
        Port = port;
    }

    public int Port { get; }

    public Uri HttpUri => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    public string AccessLog => File.Exists(Path.Combine(_prefix, "logs", "access.log")) ? File.ReadAllText(Path.Combine(_prefix, "logs", "access.log")) : "";

    public string ErrorLog => File.Exists(Path.Combine(_prefix, "logs", "error.log")) ? File.ReadAllText(Path.Combine(_prefix, "logs", "error.log")) : "";

    // Like `up`, nginx serves a copy of the web folder inside the prefix, readable by everyone: when the tests run as
    // root, nginx's workers run as an unprivileged user that cannot enter a checkout under a private directory.
    public static string Render(string prefix, int port, string upstream, string? webSource = null)
    {
        Directory.CreateDirectory(Path.Combine(prefix, "logs"));
        Directory.CreateDirectory(Path.Combine(prefix, "tmp"));
        var webRoot = Path.Combine(prefix, "web");
        CopyReadableByAll(webSource ?? Path.Combine(Repository.Root, "web"), webRoot);
        var server = File.ReadAllText(Path.Combine(Repository.Root, "nginx", "stchat.conf.template"))
            .Replace("${STCHAT_NGINX_LISTEN}", $"127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}", StringComparison.Ordinal)
            .Replace("${STCHAT_WEB_ROOT}", webRoot, StringComparison.Ordinal)
            .Replace("${STCHAT_NGINX_ACCESS_LOG}", Path.Combine(prefix, "logs", "access.log"), StringComparison.Ordinal)
            .Replace("${STCHAT_CHAT_UPSTREAM}", upstream, StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(prefix, "stchat.conf"), server);
        var main = File.ReadAllText(Path.Combine(Repository.Root, "nginx", "nginx.conf.template"))
            .Replace("${STCHAT_NGINX_PREFIX}", prefix, StringComparison.Ordinal);
        var conf = Path.Combine(prefix, "nginx.conf");
        File.WriteAllText(conf, main);
        return conf;
    }

    public static string[] Arguments(string prefix, string conf) =>
        ["-p", prefix + "/", "-e", Path.Combine(prefix, "logs", "error.log"), "-c", conf];

    public static async Task<NginxProcess> StartAsync(int chatPort, string? webSource = null, CancellationToken ct = default)
    {
        var nginx = ExternalTool.Require("nginx", "nginx", "/usr/sbin/nginx");
        var prefix = Path.Combine("/tmp", $"stchat-nginx-{Guid.NewGuid():N}"[..24]);
        var port = TestPorts.GetFreeTcpPort();
        var conf = Render(prefix, port, $"127.0.0.1:{chatPort.ToString(CultureInfo.InvariantCulture)}", webSource);

        var info = new ProcessStartInfo(nginx) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])[.. Arguments(prefix, conf), "-g", "daemon off;"])
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("nginx did not start.");
        var instance = new NginxProcess(process, prefix, port);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                var output = await process.StandardError.ReadToEndAsync(ct);
                await instance.DisposeAsync();
                throw new InvalidOperationException($"nginx exited with {process.ExitCode}: {output}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port, ct);
                return instance;
            }
            catch (SocketException) when (clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                await Task.Delay(50, ct);
            }
        }
    }

    private static void CopyReadableByAll(string source, string target)
    {
        const UnixFileMode Directories = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        const UnixFileMode Files = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

        // The prefix itself too: Directory.CreateDirectory's mode is narrowed by the umask.
        foreach (var dir in new[] { Path.GetDirectoryName(target)!, target })
        {
            Directory.CreateDirectory(dir);
            File.SetUnixFileMode(dir, Directories);
        }

        foreach (var dir in Directory.EnumerateDirectories(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, dir));
            Directory.CreateDirectory(copy);
            File.SetUnixFileMode(copy, Directories);
        }

        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            File.Copy(file, copy, overwrite: true);
            File.SetUnixFileMode(copy, Files);
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
        try
        {
            Directory.Delete(_prefix, recursive: true);
        }
        catch (IOException)
        {
            // Workers may still be closing their log files; /tmp is cleaned eventually.
        }
    }
}
