using System.Diagnostics;
using System.Text;

namespace StChat.Testing;

// Collects a child process's stdout and stderr in arrival order so a failed start can show exactly what it said.
internal sealed class ProcessLog
{
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();

    public void Attach(Process process)
    {
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
    }

    public void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _text.AppendLine(line);
        }
    }

    public bool Contains(string value)
    {
        lock (_gate)
        {
            return _text.ToString().Contains(value, StringComparison.Ordinal);
        }
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return _text.ToString();
        }
    }
}
