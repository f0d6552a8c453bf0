using System.Runtime.CompilerServices;
using Xunit;

namespace StChat.Web.Tests.Infrastructure;

// For tests of what happens only as root: nginx's workers and PostgreSQL then run as other users, who cannot enter a
// private directory. CI runs as root, so there these tests always run.
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (Environment.UserName != "root")
        {
            Skip = "Needs root: it checks that servers running as other users reach what they need from a checkout " +
                "under a private (0700) directory. CI runs it as root.";
        }
    }
}
