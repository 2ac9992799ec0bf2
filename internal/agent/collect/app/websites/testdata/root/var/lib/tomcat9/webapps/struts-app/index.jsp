<%@ page contentType="text/html" %><html></html>
