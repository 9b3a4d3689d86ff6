// SPDX-License-Identifier: Apache-2.0
// TestRunner.cs - a minimal test runner (no NUnit on a bare Mono install):
// runs every public static method marked [Test], prints PASS/FAIL for each,
// and exits 1 when any failed.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text;
using CaseScribe;

namespace CaseScribe.Tests
{
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestAttribute : Attribute
    {
        public TestAttribute(int order) { Order = order; }
        public int Order { get; private set; }
    }

    public sealed class AssertionFailed : Exception
    {
        public AssertionFailed(string message) : base(message) { }
    }

    public static class Assert
    {
        public static void True(bool condition, string what)
        {
            if (!condition)
                throw new AssertionFailed(what);
        }

        public static void Equal<T>(T expected, T actual, string what)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
                throw new AssertionFailed(string.Format("{0}: expected <{1}>, got <{2}>", what, expected, actual));
        }

        public static void Contains(string needle, string haystack, string what)
        {
            if (haystack == null || !haystack.Contains(needle))
                throw new AssertionFailed(string.Format("{0}: <{1}> not found in <{2}>", what, needle, haystack));
        }

        /// <summary>Runs <paramref name="action"/>, which must throw CaseScribeException with <paramref name="code"/>.</summary>
        public static CaseScribeException Throws(int code, Action action, string what)
        {
            try {
                action();
            } catch (CaseScribeException e) {
                if (e.Code != code)
                    throw new AssertionFailed(string.Format("{0}: expected {1}, got {2} ({3})", what, Status.Name(code),
                        e.Name, e.Message));
                True(e.Name == Status.Name(code), what + ": exception name " + e.Name);
                True(!string.IsNullOrEmpty(e.Detail), what + ": exception without a message");
                return e;
            }
            throw new AssertionFailed(what + ": expected " + Status.Name(code) + ", nothing was thrown");
        }
    }

    /// <summary>The inputs the test script passes in; a missing one fails loudly.</summary>
    public static class Env
    {
        public static string Need(string name)
        {
            string value = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(value))
                throw new AssertionFailed("environment variable " + name + " is not set (run through tests/e2e/ffi_dotnet.sh)");
            return value;
        }

        public static string FreshDir(string name)
        {
            string dir = Path.Combine(Path.GetTempPath(), "cs-dotnet-" + name + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            Directory.CreateDirectory(dir);
            return dir;
        }

        public static byte[] Utf8(string s) { return Encoding.UTF8.GetBytes(s); }
        public static string Text(byte[] b) { return Encoding.UTF8.GetString(b); }
    }

    public static class TestRunner
    {
        public static int Main(string[] args)
        {
            var tests = typeof(TestRunner).Assembly.GetTypes()
                .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Static))
                .Select(m => new { Method = m, Attr = (TestAttribute)m.GetCustomAttributes(typeof(TestAttribute), false).FirstOrDefault() })
                .Where(x => x.Attr != null)
                .OrderBy(x => x.Attr.Order)
                .ToList();
            if (args.Length > 0)
                tests = tests.Where(x => args.Contains(x.Method.Name)).ToList();
            if (tests.Count == 0) {
                Console.Error.WriteLine("FAIL: no tests selected");
                return 1;
            }
            Console.WriteLine("CaseScribe .NET binding tests, libcasescribe " + Library.Version);
            int failed = 0;
            foreach (var test in tests) {
                string name = test.Method.DeclaringType.Name + "." + test.Method.Name;
                var clock = Stopwatch.StartNew();
                try {
                    test.Method.Invoke(null, null);
                    Console.WriteLine("PASS {0} ({1} ms)", name, clock.ElapsedMilliseconds);
                } catch (TargetInvocationException e) {
                    failed++;
                    Console.WriteLine("FAIL {0}: {1}", name, e.InnerException);
                }
            }
            Console.WriteLine("{0} tests, {1} passed, {2} failed", tests.Count, tests.Count - failed, failed);
            return failed == 0 ? 0 : 1;
        }
    }
}
