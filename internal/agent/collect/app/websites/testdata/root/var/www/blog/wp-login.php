<?php // login
